//! Regression tests: one module per bug found (by fuzzing or otherwise), named after it.

#[path = "../common/mod.rs"]
mod common;

mod bulk_locations_from_raw_paths;
mod case_variant_schema_urn;
mod conflict_retries_exhausted;
mod empty_filter;
mod etag_password_oracle;
mod head_and_405_allow;
mod host_body_limit_answered_400;
mod host_header_count;
mod host_header_locations;
mod manager_cleared_with_empty_value;
mod mount_path_outside_base_paths;
mod non_ascii_attribute_name;
mod password_filter_oracle;
mod password_presence_filter;
mod patch_add_quadratic;
mod patch_add_same_value_types;
mod patch_error_names_the_wrong_operation;
mod patch_multi_valued_sub_attribute;
mod patch_replace_creates_filtered_element;
mod pathless_base_schema_urn;
mod put_412_without_if_match;
mod sort_by_unknown_attribute;
mod testkit_many_writers_got_429;
mod testkit_passed_broken_stores;
mod testkit_with_the_serving_config;
mod user_name_format_characters;
mod user_name_validation;

//! The options a caller of [`validate`](super::validate) may tune: Entra's string
//! booleans, empty `value`s that unassign, and the size bounds of the result.

use crate::limits::ResourceLimits;

/// Options for validation.
///
/// `#[non_exhaustive]`: an option may be added in a minor release, so build one from
/// [`ValidationOptions::default`] and the `with_*` methods.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct ValidationOptions {
    /// Coerce the strings `"true"`/`"false"` (any case) to booleans for boolean
    /// attributes, as Entra ID sends them. On by default.
    pub string_booleans: bool,
    /// A single-valued complex attribute whose `value` is empty or blank (`"manager":
    /// {"value": ""}`) is unassigned, in every request that writes it; see
    /// [`Compat::empty_value_unassigns`](crate::patch::Compat::empty_value_unassigns).
    /// On by default.
    pub empty_value_unassigns: bool,
    /// The size bounds the result must keep (attributes, values per attribute,
    /// `userName` length).
    pub limits: ResourceLimits,
}

impl Default for ValidationOptions {
    fn default() -> Self {
        ValidationOptions {
            string_booleans: true,
            empty_value_unassigns: true,
            limits: ResourceLimits::default(),
        }
    }
}

impl ValidationOptions {
    /// Returns these options with `"true"`/`"false"` strings coerced to booleans when `on`.
    #[must_use]
    pub const fn with_string_booleans(mut self, on: bool) -> Self {
        self.string_booleans = on;
        self
    }

    /// Returns these options with an empty `value` unassigning a complex attribute when `on`.
    #[must_use]
    pub const fn with_empty_value_unassigns(mut self, on: bool) -> Self {
        self.empty_value_unassigns = on;
        self
    }

    /// Returns these options with `limits` as the size bounds the result must keep.
    #[must_use]
    pub const fn with_limits(mut self, limits: ResourceLimits) -> Self {
        self.limits = limits;
        self
    }
}

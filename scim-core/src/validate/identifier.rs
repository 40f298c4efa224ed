//! The rules for the names that identify a resource: a User's `userName` (RFC 7643
//! §4.1.1) and a Group's `displayName` (§4.2).

use serde_json::Value;

use super::Validator;
use crate::error::ScimError;

impl Validator<'_, '_> {
    /// RFC 7643 §4.1.1: `userName` is a User's unique identifier, and a Group's
    /// `displayName` (§4.2) names it: neither may be empty, blank or hold control
    /// characters (U+0000–U+001F, U+007F–U+009F), invisible format characters (general
    /// category Cf, such as U+200B or U+202E) or U+2028/U+2029, which would let two names
    /// look alike or one break a log line; `userName` has a length limit
    /// ([`ResourceLimits::max_user_name_chars`]).
    pub(super) fn check_identifier(&self, name: &str, value: &Value) -> Result<(), ScimError> {
        let base = &self.schema.base().id;
        let max_chars = if base.eq_ignore_ascii_case(crate::schema::urn::USER)
            && name.eq_ignore_ascii_case("userName")
        {
            Some(self.options.limits.max_user_name_chars)
        } else if base.eq_ignore_ascii_case(crate::schema::urn::GROUP)
            && name.eq_ignore_ascii_case("displayName")
        {
            None
        } else {
            return Ok(());
        };
        let Some(text) = value.as_str() else {
            return Ok(());
        };
        let refused = |detail: String| Err(ScimError::invalid_value(detail).with_attribute(name));
        if text.trim().is_empty() {
            return refused(format!("`{name}` must not be empty or only whitespace"));
        }
        if let Some(c) = text.chars().find(|c| c.is_control()) {
            return refused(format!(
                "`{name}` must not contain control characters (it contains U+{:04X})",
                u32::from(c)
            ));
        }
        if let Some(c) = text.chars().find(|&c| is_format_or_separator(c)) {
            return refused(format!(
                "`{name}` must not contain invisible format or line separator characters \
                 (it contains U+{:04X})",
                u32::from(c)
            ));
        }
        if let Some(max) = max_chars {
            let chars = text.chars().count();
            if chars > max {
                return refused(format!(
                    "`{name}` has {chars} characters, more than the limit of {max}"
                ));
            }
        }
        Ok(())
    }
}

/// Whether `c` is invisible or breaks a line without being a control character: a
/// Unicode format character (general category Cf, Unicode 15: soft hyphen, bidirectional
/// overrides and isolates, zero-width spaces and joiners, the byte order mark, tags, …) or
/// the line and paragraph separators U+2028/U+2029 (categories Zl, Zp).
fn is_format_or_separator(c: char) -> bool {
    matches!(
        u32::from(c),
        0xAD | 0x600..=0x605
            | 0x61C
            | 0x6DD
            | 0x70F
            | 0x890..=0x891
            | 0x8E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x2028..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
    )
}

//! dateTime values (RFC 7643 §2.3.5, xsd:dateTime) as comparable instants.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Parses an xsd:dateTime (RFC 7643 §2.3.5) into nanoseconds since the Unix epoch, as
/// [`CompiledFilter`](crate::CompiledFilter) reads dateTimes, so values written with
/// different offsets compare as the instants they denote. A value without an offset is
/// read as UTC. Returns `None` for anything that is not a dateTime.
///
/// ```
/// use scim2_filter::date_time_instant;
///
/// assert_eq!(
///     date_time_instant("2011-05-13T04:42:34Z"),
///     date_time_instant("2011-05-13T06:42:34+02:00"),
/// );
/// assert_eq!(date_time_instant("yesterday"), None);
/// ```
pub fn date_time_instant(text: &str) -> Option<i128> {
    // Cheap rejection before the full parser: `YYYY-MM-DDT…`.
    let b = text.as_bytes();
    if b.len() < 19 || b[4] != b'-' || !matches!(b[10], b'T' | b't') {
        return None;
    }
    let parsed = OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .or_else(|| OffsetDateTime::parse(&format!("{text}Z"), &Rfc3339).ok())?;
    Some(parsed.unix_timestamp_nanos())
}

#[cfg(test)]
mod tests {
    use super::date_time_instant as instant;

    #[test]
    fn offsets_denote_the_same_instant() {
        assert_eq!(
            instant("2011-05-13T04:42:34Z"),
            instant("2011-05-13T06:42:34+02:00")
        );
        assert_eq!(
            instant("2011-05-13T04:42:34Z"),
            instant("2011-05-13T04:42:34.000Z")
        );
        assert_eq!(
            instant("2011-05-13T04:42:34"),
            instant("2011-05-13T04:42:34Z")
        );
        assert!(instant("2011-05-13T04:42:34Z") < instant("2011-05-13T04:42:35Z"));
    }

    #[test]
    fn non_dates_are_none() {
        for text in [
            "",
            "bjensen",
            "2011-05-13",
            "2011-13-45T99:00:00Z",
            "2011-05-13 04:42:34Z",
        ] {
            assert_eq!(instant(text), None, "{text}");
        }
    }
}

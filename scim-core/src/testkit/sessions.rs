//! The recorded client sessions, embedded in the crate: what Microsoft Entra ID,
//! Microsoft's SCIM Validator, Okta, OneLogin and JumpCloud send, step by step, with the
//! answers that satisfy them (written from each provider's public documentation). The
//! format is described in [the `replay` module](super::replay).

use serde_json::Value;

use super::Failure;

/// One recorded session: its file name, the client profile it needs
/// ([`Compat::profile`](crate::patch::Compat::profile)) and the fixture's JSON text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Session {
    /// The fixture's file name, e.g. `entra.json`; names the session in a [`Failure`].
    pub name: &'static str,
    /// The name of the client's own compatibility profile, e.g. `entra`.
    pub profile: &'static str,
    /// The fixture, as JSON text.
    pub json: &'static str,
}

impl Session {
    /// The fixture, parsed.
    pub fn parse(&self) -> Result<Value, Failure> {
        serde_json::from_str(self.json)
            .map_err(|e| Failure::new(self.name, "", format!("the fixture is not JSON: {e}")))
    }
}

/// Declares [`SESSIONS`] from (file, profile) pairs, embedding each file.
macro_rules! sessions {
    ($($file:literal under $profile:literal),* $(,)?) => {
        /// Every recorded session, with the client profile each one is replayed under.
        pub const SESSIONS: &[Session] = &[$(
            Session { name: $file, profile: $profile, json: include_str!(concat!("sessions/", $file)) },
        )*];
    };
}

sessions! {
    "entra.json" under "entra",
    "okta.json" under "okta",
    "microsoft-validator.json" under "entra",
    "entra-flag-aadoptscim062020.json" under "entra",
    "entra-legacy-without-flag.json" under "entra",
    "entra-operations.json" under "entra",
    "okta-spec-test.json" under "okta",
    "okta-crud-test.json" under "okta",
    "onelogin.json" under "onelogin",
    "jumpcloud.json" under "jumpcloud",
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::Compat;

    #[test]
    fn every_fixture_file_is_listed() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/testkit/sessions");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        files.sort();
        let mut listed: Vec<&str> = SESSIONS.iter().map(|s| s.name).collect();
        listed.sort_unstable();
        assert_eq!(files, listed);
    }

    #[test]
    fn every_session_parses_and_names_a_known_profile() {
        for s in SESSIONS {
            let v = s.parse().unwrap();
            assert!(
                v["steps"].as_array().is_some_and(|a| !a.is_empty()),
                "{}",
                s.name
            );
            assert!(Compat::profile(s.profile).is_some(), "{}", s.profile);
        }
    }
}

//! The operator's commands on the audit trail and held deprovisioning (`scim-bridge
//! audit`, `scim-bridge deprovisioning list|release|discard`), run on whichever store the
//! command line names, while the server runs or not.

use crate::cli::{Cli, DeprovisioningAction};
use crate::onepassword::audit::{self, event_json, instant_text, now_nanos, Actor};
use crate::onepassword::{settle, DeprovisionLimit, Policy, Settled};
use crate::store::{AuditQuery, HeldAction, Store};
use crate::Error;

/// `println!` that never panics: a reader that went away (`scim-bridge audit | head`)
/// ends the output quietly, not with a backtrace; any other failure to write (a full
/// disk) ends the command with an error, so that a cut-short export is never taken for
/// a whole one.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        match writeln!(std::io::stdout().lock(), $($arg)*) {
            Ok(()) => {}
            // The reader has gone: nothing more to say, and nothing went wrong.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            // Anything else (a full disk) cut the output short: say so.
            Err(e) => return Err(Error::Output(e)),
        }
    }};
}

/// The most records `scim-bridge audit` prints at once.
pub(crate) const MAX_AUDIT_COUNT: u64 = 100_000;

/// What `scim-bridge audit` asks for.
pub(crate) struct AuditArgs<'a> {
    /// `--since`.
    pub(crate) since: Option<&'a str>,
    /// `--user`.
    pub(crate) user: Option<&'a str>,
    /// `--action`.
    pub(crate) action: Option<&'a str>,
    /// `--count`.
    pub(crate) count: u64,
    /// `--json`.
    pub(crate) json: bool,
}

/// `scim-bridge audit` on `store`: the records asked for, newest first, as a table or
/// one JSON object per line.
pub(crate) fn audit_on<S: Store>(store: &S, args: &AuditArgs<'_>) -> Result<(), Error> {
    let since = match args.since {
        None => None,
        Some(text) => Some(audit::parse_instant(text, now_nanos()).ok_or_else(|| {
            Error::Setting(format!(
                "--since {text:?} is neither an RFC 3339 time (2026-12-01T09:00:00Z) nor an age (24h, 7d)"
            ))
        })?),
    };
    if !(1..=MAX_AUDIT_COUNT).contains(&args.count) {
        return Err(Error::Setting(format!(
            "--count must be from 1 to {MAX_AUDIT_COUNT}"
        )));
    }
    if let Some(action) = args.action {
        if audit::Action::parse(action).is_none() {
            let known: Vec<&str> = audit::Action::ALL.iter().map(|a| a.as_str()).collect();
            return Err(Error::Setting(format!(
                "--action {action:?} is not one of: {}",
                known.join(", ")
            )));
        }
    }
    let query = AuditQuery {
        since,
        resource: args.user.map(str::to_owned),
        action: args.action.map(str::to_owned),
        limit: args.count,
        ..AuditQuery::default()
    };
    let events = store
        .read(|tx| tx.audit_events(&query))
        .map_err(Error::Journal)?;
    if args.json {
        for e in &events {
            say!("{}", event_json(e));
        }
        return Ok(());
    }
    if events.is_empty() {
        say!("No audit records match.");
        return Ok(());
    }
    say!(
        "{:<24}  {:<24}  {:<17}  {:<32}  DETAIL",
        "TIME",
        "ACTION",
        "BY",
        "RESOURCE"
    );
    for e in &events {
        let resource = format!(
            "{} {}",
            e.resource_type,
            e.resource_name
                .as_deref()
                .or(e.resource_id.as_deref())
                .unwrap_or("-")
        );
        let mut detail = Vec::new();
        if let Some(m) = &e.member {
            detail.push(format!("member {m}"));
        }
        if !e.attributes.is_empty() {
            detail.push(e.attributes.join(","));
        }
        if let Some(r) = &e.request_id {
            detail.push(format!("request {r}"));
        }
        say!(
            "{:<24}  {:<24}  {:<17}  {:<32}  {}",
            instant_text(e.at),
            e.action,
            e.actor,
            resource,
            detail.join("; ")
        );
    }
    Ok(())
}

/// `scim-bridge deprovisioning list|release|discard` on `store`.
pub(crate) fn deprovisioning_on<S: Store>(
    store: &S,
    policy: &Policy,
    action: DeprovisioningAction,
) -> Result<(), Error> {
    if action == DeprovisioningAction::List {
        let held = store
            .read(|tx| tx.held(0, u64::MAX))
            .map_err(Error::Journal)?;
        if held.is_empty() {
            say!("Nothing is held.");
        }
        for h in &held {
            say!(
                "{}  {:<8}  {}  ({})  asked by {}{}",
                instant_text(h.at),
                h.action.as_str(),
                h.user_name.as_deref().unwrap_or("-"),
                h.user_id,
                h.actor,
                h.request_id
                    .as_deref()
                    .map(|r| format!(", request {r}"))
                    .unwrap_or_default()
            );
        }
        return Ok(());
    }
    let release = action == DeprovisioningAction::Release;
    let outcomes = settle(store, policy, &Actor::cli(), release).map_err(Error::Journal)?;
    let (mut done, mut failed) = (0, 0);
    for o in &outcomes {
        let who = o.change.user_name.as_deref().unwrap_or(&o.change.user_id);
        match &o.result {
            Ok(Settled::Done) => done += 1,
            Ok(Settled::NothingToApply) => {
                say!("{who}: nothing to apply (the user is gone, or suspended already)")
            }
            Ok(Settled::SettledElsewhere) => say!(
                "{who}: settled meanwhile by someone else (another `deprovisioning` command, or the identity provider restoring them)"
            ),
            Err(why) => {
                failed += 1;
                let what = match o.change.action {
                    HeldAction::Suspend => "suspended",
                    HeldAction::Delete => "deleted",
                };
                say!("{who}: not {what}, still held: {why}");
            }
        }
    }
    let verb = if release { "Released" } else { "Discarded" };
    say!("{verb} {done} held change(s); {failed} could not be applied.");
    if failed > 0 {
        return Err(Error::NotReleased(failed));
    }
    Ok(())
}

/// Records that the Secret Token was rotated (by the `token rotate` command), after the
/// new hash is in place: the hash lives in a file (or a setting) the store's transaction
/// does not cover, so the record follows it (a crash in between loses the record only).
pub(crate) fn record_rotation<S: Store>(store: &S) {
    let entry = audit::Entry {
        action: audit::Action::TokenRotated,
        resource_type: "Token",
        resource_id: None,
        resource_name: None,
        attributes: Vec::new(),
        member: None,
    };
    if let Err(e) = store.write(|tx| audit::record(tx, &Actor::cli(), [entry])) {
        eprintln!("warning: the rotation could not be recorded in the audit trail: {e}");
    }
}

/// The policy the bridge applies, from the command line.
pub(crate) fn policy(cli: &Cli) -> Policy {
    Policy::default()
        .with_allowed_domains(
            cli.allowed_domains
                .iter()
                .map(|d| d.trim().to_lowercase())
                .filter(|d| !d.is_empty()),
        )
        .with_deprovisioning(
            cli.deprovision_limit
                .map(|limit| DeprovisionLimit::new(limit, cli.deprovision_window)),
        )
}

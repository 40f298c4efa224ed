//! U+0000 on each engine: refused in what clients write, and rows an earlier version
//! stored with it still read.

use super::*;

/// A group row written before the rules refused U+0000 (straight to the store, as an
/// earlier version did): its members are still read, patched and confirmed. PostgreSQL's
/// JSON functions fail on such a row, so the store reads `displayName` and
/// `meta.version` itself.
fn a_group_stored_with_nul_in_a_name_leaves_its_members_readable(engine: Engine) {
    let account = Account::new(&engine, &[]);
    account.user("u", "u@example.com").expect("u");
    account
        .store
        .write(|tx| {
            let mut data = json!({"schemas": [urn::GROUP], "displayName": "Poison",
                                  "urn:x:\u{0}": 1, "title": "a\u{0}b"});
            stamp_new(&mut data, "Group", "poison");
            tx.insert(
                "Group",
                &crate::store::Row {
                    id: "poison".into(),
                    data,
                    unique_key: Some("poison".into()),
                    external_id: None,
                },
            )?;
            tx.add_member(
                "poison",
                &crate::store::MemberRow {
                    id: "u".into(),
                    kind: Some("User".into()),
                    display: None,
                    reference: None,
                },
            )
        })
        .expect("a row as an earlier version stored it");
    let user = account
        .get(Kind::User, "u")
        .expect("the member is readable");
    assert!(
        user["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .any(|g| g["value"] == "poison" && g["display"] == "Poison"),
        "{user}"
    );
    // A PATCH's write half reads the stored version.
    let next = account
        .write(|tx, policy| {
            let mut next = user.clone();
            next["title"] = json!("t");
            update_if_current(
                tx,
                &Writer::new(policy, &Actor::cli()),
                Kind::User,
                "u",
                &user,
                next,
                None,
            )
        })
        .expect("patched");
    assert_eq!(next.expect("written at the version read")["title"], "t");
    assert_eq!(
        account
            .store
            .read(|tx| tx.version("Group", "poison"))
            .expect("read"),
        Some(version_of(&account.get(Kind::Group, "poison").expect("g")).map(str::to_owned))
    );
    account.accept("u@example.com").expect("accepted");
    assert_eq!(
        account
            .store
            .write(|tx| confirm_pending(tx, &Actor::watcher()))
            .expect("one"),
        ["u"]
    );
    // The group itself is read, and can be changed once rid of U+0000.
    account
        .put(Kind::Group, "poison", |g| {
            let g = g.as_object_mut().expect("an object");
            g.remove("urn:x:\u{0}");
            g.remove("title");
        })
        .expect("a replacement without U+0000");
}

/// U+0000 in a name or a string of what a client writes is 400 `invalidValue` naming
/// the attribute, before anything is written; lookups for it find nothing.
fn nul_is_refused_before_anything_is_written(engine: Engine) {
    let account = Account::new(&engine, &[]);
    account.user("u", "u@example.com").expect("u");
    let refused = |result: Result<Value>, attribute: &str| match result {
        Err(RuleError::Scim(e)) => {
            assert_eq!(e.status(), StatusCode::BAD_REQUEST);
            assert_eq!(
                e.scim_type(),
                Some(scim2_core::ScimType::InvalidValue),
                "{e:?}"
            );
            assert_eq!(e.attribute(), Some(attribute), "{e:?}");
            assert!(e.detail().contains(&format!("\"{attribute}\"")), "{e:?}");
        }
        other => panic!("expected a refusal naming {attribute}, got {other:?}"),
    };
    let group = json!({"schemas": [urn::GROUP], "displayName": "G", "urn:x:\u{0}": 1,
                       "members": [{"value": "u"}]});
    refused(account.create(Kind::Group, "g", group), "urn:x:\\u0000");
    let group = json!({"schemas": [urn::GROUP], "displayName": "G",
                       "members": [{"value": "\u{0}"}]});
    refused(account.create(Kind::Group, "g", group), "members[0].value");
    assert_eq!(
        status(account.get(Kind::Group, "g")),
        StatusCode::NOT_FOUND,
        "nothing written"
    );
    let user = json!({"schemas": [urn::USER], "userName": "v@example.com",
                      "addresses": [{"type": "work"}, {"locality": "x\u{0}"}]});
    refused(
        account.create(Kind::User, "v", user),
        "addresses[1].locality",
    );
    refused(
        account.put(Kind::User, "u", |u| u["nickName"] = json!("\u{0}")),
        "nickName",
    );
    account.group("g", "G", &[]).expect("g");
    let add = json!([{"op": "add", "path": "members",
                      "value": [{"value": "u", "$ref": "\u{0}"}]}]);
    refused(account.patch_members("g", add), "members[0].$ref");
    assert!(account.member_ids("g").is_empty(), "nothing added");
    let nul = vec!["\u{0}".to_owned(), "a\u{0}b".to_owned()];
    let (unique, accounts, groups, account_of) = account
        .store
        .read(|tx| {
            Ok::<_, StoreError>((
                tx.find_unique("User", "\u{0}")?,
                tx.accounts_of(&nul)?.len(),
                tx.groups_of_each(&nul)?.len(),
                tx.account("\u{0}")?,
            ))
        })
        .expect("lookups answer");
    assert_eq!((unique, accounts, groups, account_of), (None, 0, 0, None));
}

on_each_engine!(
    a_group_stored_with_nul_in_a_name_leaves_its_members_readable,
    nul_is_refused_before_anything_is_written,
);

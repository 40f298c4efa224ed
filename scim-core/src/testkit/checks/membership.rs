//! The membership check: a user's `groups` follows its groups, and deleted members
//! leave them.

use super::*;

impl<F> TestKit<F>
where
    F: Fn() -> Arc<dyn Provisioner>,
{
    /// Membership (RFC 7643 §4.1.2, §4.2): a user's read-only `groups` follows the
    /// groups' `members`; a deleted user leaves its groups (whose version changes); a
    /// deleted group leaves its members' `groups`.
    pub async fn membership(&self) -> Result<Report, Failure> {
        let c = self.client("membership");
        let ann = c
            .create("create ann", "/Users", &user("kit-ann@example.com"))
            .await?;
        let bob = c
            .create("create bob", "/Users", &user("kit-bob@example.com"))
            .await?;
        let ann_id = c.text("create ann", &ann, "/id")?;
        let bob_id = c.text("create bob", &bob, "/id")?;
        let (ann_at, bob_at) = (format!("/Users/{ann_id}"), format!("/Users/{bob_id}"));
        let sales = c
            .create("create a group", "/Groups", &group("Kit Sales", &[]))
            .await?;
        let gid = c.text("create a group", &sales, "/id")?;
        let group_at = format!("/Groups/{gid}");
        let in_group = |step: &'static str, at: String, want: bool| {
            let (c, gid) = (&c, &gid);
            async move {
                let user = c.get(step, &at).await?;
                let groups = values(&user.json, "groups");
                c.ensure(groups.contains(gid) == want, step, || {
                    let not = if want { "" } else { "not " };
                    format!("want group {gid} {not}in `groups`: {}", user.json)
                })
            }
        };

        let step = "add ann and bob to the group";
        let op = patch(json!([{"op": "add", "path": "members",
            "value": [{"value": ann_id}, {"value": bob_id}]}]));
        c.expect(step, "PATCH", &group_at, &[], Some(&op), &[200, 204])
            .await?;
        in_group("ann's groups lists the group", ann_at.clone(), true).await?;
        in_group("bob's groups lists the group", bob_at.clone(), true).await?;
        let step = "a filter on groups.value finds ann and bob";
        let filter = format!(
            "/Users?filter=groups.value%20eq%20%22{}%22",
            percent_encoding::utf8_percent_encode(&gid, percent_encoding::NON_ALPHANUMERIC)
        );
        let found = c.get(step, &filter).await?;
        c.ensure(found.json["totalResults"] == 2, step, || {
            format!("want ann and bob: {}", found.json)
        })?;
        let step = "the users a list returns carry their groups";
        let listed = found.json["Resources"].as_array().into_iter().flatten();
        for u in listed {
            c.ensure(values(u, "groups").contains(&gid), step, || {
                format!(
                    "want group {gid} in the `groups` of every user `list` returns \
                     (Provisioner duty 5): {u}"
                )
            })?;
        }

        let step = "remove ann from the group";
        let op =
            patch(json!([{"op": "remove", "path": format!("members[value eq \"{ann_id}\"]")}]));
        c.expect(step, "PATCH", &group_at, &[], Some(&op), &[200, 204])
            .await?;
        in_group(
            "ann's groups no longer lists the group",
            ann_at.clone(),
            false,
        )
        .await?;
        in_group("bob's groups still lists the group", bob_at.clone(), true).await?;

        let before = c.get("read the group", &group_at).await?;
        let step = "delete bob";
        c.expect(step, "DELETE", &bob_at, &[], None, &[204]).await?;
        let step = "deleted bob left the group";
        let after = c.get(step, &group_at).await?;
        c.ensure(
            !values(&after.json, "members").contains(&bob_id),
            step,
            || format!("bob {bob_id} is still a member: {}", after.json),
        )?;
        c.ensure(
            after.json["meta"]["version"] != before.json["meta"]["version"]
                && after.header("etag") != before.header("etag"),
            "the group's version changed when bob left",
            || {
                format!(
                    "before {}, after {}",
                    before.json["meta"], after.json["meta"]
                )
            },
        )?;

        let step = "add ann again";
        let op = patch(json!([{"op": "add", "path": "members", "value": [{"value": ann_id}]}]));
        c.expect(step, "PATCH", &group_at, &[], Some(&op), &[200, 204])
            .await?;
        in_group("ann's groups lists the group again", ann_at.clone(), true).await?;
        c.expect("delete the group", "DELETE", &group_at, &[], None, &[204])
            .await?;
        in_group("the deleted group left ann's groups", ann_at, false).await?;
        Ok(c.passed())
    }
}

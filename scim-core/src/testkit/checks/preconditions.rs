//! The version checks: `If-Match` (412) and `If-None-Match` (304), RFC 7644 §3.14.

use super::*;

impl<F> TestKit<F>
where
    F: Fn() -> Arc<dyn Provisioner>,
{
    /// Versions (412, RFC 7644 §3.14): a PUT, PATCH or DELETE with a stale `If-Match` is
    /// 412 and leaves the resource as it was; with the current version it succeeds; a
    /// GET with `If-None-Match` of the current version is 304.
    pub async fn preconditions(&self) -> Result<Report, Failure> {
        let c = self.client("If-Match/412");
        let created = c
            .create("create", "/Users", &user("kit-etag@example.com"))
            .await?;
        let at = format!("/Users/{}", c.text("create", &created, "/id")?);
        let etag = |step: &str, a: &Answer| {
            a.header("etag")
                .map(str::to_owned)
                .ok_or_else(|| c.fail(step, format!("no ETag: {}", a.json)))
        };
        let stale = etag("create", &created)?;
        let step = "PATCH with the current version";
        let op = patch(json!([{"op": "replace", "path": "displayName", "value": "One"}]));
        let one = c
            .expect(
                step,
                "PATCH",
                &at,
                &[("if-match", &stale)],
                Some(&op),
                &[200],
            )
            .await?;
        let current = etag(step, &one)?;
        c.ensure(current != stale, step, || {
            format!("the version did not change: {current}")
        })?;

        let unchanged = |step: &'static str| {
            let (c, at, current) = (&c, &at, &current);
            async move {
                let now = c.get(step, at).await?;
                c.ensure(
                    now.json["displayName"] == "One"
                        && now.header("etag") == Some(current.as_str()),
                    step,
                    || format!("the resource changed: {}", now.json),
                )
            }
        };
        // The service compares a client's `If-Match` with the version it read before it
        // writes, so a store that ignores the version it is given passes every request
        // above, and loses concurrent updates in a server (duties 4 and 8). Ask it
        // directly, as the service's read-modify-write does after another writer got in.
        let step = "the store's replace refuses a stale expected version";
        let (store, ctx) = c.store(step).await?;
        let id = c.text("create", &created, "/id")?;
        let stale_version = c.text("create", &created, "/meta/version")?;
        let mut overwrite = one.json.clone();
        overwrite["displayName"] = json!("Lost");
        match store
            .replace(&ctx, "User", &id, overwrite, Some(&stale_version))
            .await
        {
            Err(ProvisionerError::Scim(e)) if e.status().as_u16() == 412 => {}
            other => {
                let got = match other {
                    Ok(_) => "it replaced the resource".to_owned(),
                    Err(e) => format!("it answered {e:?}"),
                };
                return Err(c.fail(
                    step,
                    format!(
                        "replace(\"User\", {id}, …, expected_version = {stale_version}) after \
                         the version became {current}: want precondition_failed (412), as \
                         Provisioner duty 4 asks (meta::check_version compares); {got}. A \
                         store that ignores the expected version loses concurrent updates"
                    ),
                ));
            }
        }
        unchanged("unchanged after the stale replace").await?;

        let step = "PUT with a stale If-Match";
        let mut put = user("kit-etag@example.com");
        put["displayName"] = json!("Two");
        c.expect(
            step,
            "PUT",
            &at,
            &[("if-match", &stale)],
            Some(&put),
            &[412],
        )
        .await?;
        unchanged("unchanged after the stale PUT").await?;
        let step = "PATCH with a stale If-Match";
        let op = patch(json!([{"op": "replace", "path": "displayName", "value": "Two"}]));
        c.expect(
            step,
            "PATCH",
            &at,
            &[("if-match", &stale)],
            Some(&op),
            &[412],
        )
        .await?;
        unchanged("unchanged after the stale PATCH").await?;
        let step = "DELETE with a stale If-Match";
        c.expect(step, "DELETE", &at, &[("if-match", &stale)], None, &[412])
            .await?;
        unchanged("not deleted after the stale DELETE").await?;
        let step = "GET with If-None-Match of the current version";
        c.expect(
            step,
            "GET",
            &at,
            &[("if-none-match", &current)],
            None,
            &[304],
        )
        .await?;

        let step = "PUT with the current version";
        let two = c
            .expect(
                step,
                "PUT",
                &at,
                &[("if-match", &current)],
                Some(&put),
                &[200],
            )
            .await?;
        let latest = etag(step, &two)?;
        c.ensure(
            latest != current && two.json["displayName"] == "Two",
            step,
            || format!("{latest}: {}", two.json),
        )?;
        let step = "DELETE with the current version";
        c.expect(step, "DELETE", &at, &[("if-match", &latest)], None, &[204])
            .await?;
        c.expect("deleted", "GET", &at, &[], None, &[404]).await?;
        Ok(c.passed())
    }
}

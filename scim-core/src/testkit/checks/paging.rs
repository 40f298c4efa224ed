//! The paging check: every user listed once, by `startIndex` and, when the service
//! pages by cursor (RFC 9865), by cursor, across a user removed between pages.

use super::*;

/// How many users the paging check lists, and how many a page.
const USERS: usize = 7;
/// See [`USERS`].
const PAGE: usize = 3;

impl<F> TestKit<F>
where
    F: Fn() -> Arc<dyn Provisioner>,
{
    /// Paging (RFC 7644 §3.4.2.4): seven users, three a page by `startIndex`, are each
    /// listed once, `totalResults` seven on every page. When the configuration pages by
    /// cursor ([`ServiceConfig::with_cursor_pagination`](crate::service::ServiceConfig::with_cursor_pagination)),
    /// also by cursor (RFC 9865 §2) sorted by `userName`: each once and in order, a
    /// `nextCursor` on every page but the last, no `startIndex`; a user removed between
    /// pages is neither listed nor makes another be skipped or repeated; an altered
    /// cursor is 400 `invalidCursor` (§2.1).
    pub async fn paging(&self) -> Result<Report, Failure> {
        let c = self.client("paging");
        let mut names = Vec::with_capacity(USERS);
        for i in 0..USERS {
            // Created out of userName order.
            let name = format!("kit-page-{}@example.com", (i * 5) % USERS);
            c.create("create the users", "/Users", &user(&name)).await?;
            names.push(name);
        }
        names.sort();

        let step = "list by startIndex";
        let mut seen = Vec::new();
        let mut start = 1;
        while start <= USERS {
            let path = format!("/Users?startIndex={start}&count={PAGE}&sortBy=userName");
            let page = c.get(step, &path).await?;
            c.ensure(page.json["totalResults"] == USERS, step, || {
                format!("{path}: totalResults is not {USERS}: {}", page.json)
            })?;
            let got = user_names(&page.json);
            c.ensure(!got.is_empty(), step, || {
                format!("{path}: no users: {}", page.json)
            })?;
            start += got.len();
            seen.extend(got);
        }
        c.ensure(seen == names, step, || {
            format!("listed {seen:?}, want each of {names:?} once, in order")
        })?;

        if !self.config.cursor_pagination {
            return Ok(c.passed());
        }
        let step = "list by cursor";
        let sorted = "&sortBy=userName";
        let first_path = format!("/Users?count={PAGE}&cursor={sorted}");
        let first = c.get(step, &first_path).await?;
        let mut seen = user_names(&first.json);
        // Removed before the next page: a user not listed yet.
        let gone = names[PAGE + 1].clone();
        let gone_filter = format!("/Users?filter=userName%20eq%20%22{gone}%22");
        let found = c.get(step, &gone_filter).await?;
        let gone_id = c.text(step, &found, "/Resources/0/id")?;
        c.expect(
            step,
            "DELETE",
            &format!("/Users/{gone_id}"),
            &[],
            None,
            &[204],
        )
        .await?;
        let mut page = first;
        let mut pages = 1;
        while let Some(next) = page.json.get("nextCursor").and_then(Value::as_str) {
            let path = format!("/Users?count={PAGE}&cursor={next}{sorted}");
            c.ensure(page.json.get("startIndex").is_none(), step, || {
                format!("a page by cursor has a startIndex: {}", page.json)
            })?;
            let bad = c
                .call(
                    step,
                    "GET",
                    &format!("/Users?count={PAGE}&cursor={next}x{sorted}"),
                    &[],
                    None,
                )
                .await?;
            c.ensure(
                bad.status == 400 && bad.json["scimType"] == "invalidCursor",
                "an altered cursor",
                || format!("want 400 invalidCursor, got {}: {}", bad.status, bad.json),
            )?;
            page = c.get(step, &path).await?;
            seen.extend(user_names(&page.json));
            pages += 1;
            c.ensure(pages <= USERS, step, || {
                "the cursor does not advance".to_owned()
            })?;
        }
        let want: Vec<String> = names.iter().filter(|n| **n != gone).cloned().collect();
        c.ensure(seen == want, step, || {
            format!("listed {seen:?} by cursor, want each of {want:?} once, in order")
        })?;
        Ok(c.passed())
    }
}

/// The `userName`s of a list response's resources, in order.
fn user_names(list: &Value) -> Vec<String> {
    list["Resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["userName"].as_str().map(str::to_owned))
        .collect()
}

//! The concurrency check: concurrent member changes lose none, and concurrent creates
//! of one name give one winner.

use super::*;

impl<F> TestKit<F>
where
    F: Fn() -> Arc<dyn Provisioner>,
{
    /// Concurrency (atomicity, RFC 7644 §3.14's last writer wins without `If-Match`):
    /// concurrent PATCHes each adding a different member to one group lose none, and of
    /// concurrent creates of one `userName` exactly one is 201, the others 409.
    ///
    /// The requests are polled together in the caller's task: they interleave wherever
    /// the store awaits (a database call, a lock), as a server's would.
    pub async fn concurrency(&self) -> Result<Report, Failure> {
        let c = self.client("concurrency");
        let n = self.concurrency;
        let crowd = c
            .create("create a group", "/Groups", &group("Kit Crowd", &[]))
            .await?;
        let group_at = format!("/Groups/{}", c.text("create a group", &crowd, "/id")?);
        let mut ids = Vec::with_capacity(n);
        for i in 0..n {
            let step = "create the users to add";
            let u = c
                .create(step, "/Users", &user(&format!("kit-{i}@example.com")))
                .await?;
            ids.push(c.text(step, &u, "/id")?);
        }
        let step = "concurrent PATCHes each add one member";
        let ops: Vec<Value> = ids
            .iter()
            .map(|id| patch(json!([{"op": "add", "path": "members", "value": [{"value": id}]}])))
            .collect();
        // A request the service gave up on after losing every retry to the others (429
        // with Retry-After, RFC 6585 §4) is sent again, as identity providers do: with
        // more writers than the service retries (`CONFLICT_RETRIES`), a correct store
        // that awaits between its read and its write sees some.
        let adds: Vec<Call<'_>> = ops
            .iter()
            .map(|op| {
                let (c, group_at) = (&c, &group_at);
                let fut = async move {
                    let mut sent = 1;
                    loop {
                        let a = c.call(step, "PATCH", group_at, &[], Some(op)).await?;
                        if a.status == 429 && sent < n {
                            sent += 1;
                            continue;
                        }
                        return c.status_in(step, "PATCH", group_at, a, &[200, 204]);
                    }
                };
                Box::pin(fut) as Call<'_>
            })
            .collect();
        for result in join_all(adds).await {
            result?;
        }
        let step = "every member was added (no update lost)";
        let now = c.get(step, &group_at).await?;
        let members = values(&now.json, "members");
        let lost: Vec<&String> = ids.iter().filter(|id| !members.contains(id)).collect();
        c.ensure(lost.is_empty(), step, || {
            format!("{} of {n} members lost: {lost:?}", lost.len())
        })?;

        let step = "concurrent creates of one userName";
        let body = user("kit-race@example.com");
        let creates: Vec<Call<'_>> = (0..n)
            .map(|_| {
                let fut = c.call(step, "POST", "/Users", &[], Some(&body));
                Box::pin(fut) as Call<'_>
            })
            .collect();
        let mut created = 0;
        for answer in join_all(creates).await {
            let answer = answer?;
            if answer.status == 201 {
                created += 1;
            } else {
                c.uniqueness(step, &answer)?;
            }
        }
        c.ensure(created == 1, step, || {
            format!("{created} of {n} creates succeeded, want exactly 1")
        })?;
        let step = "one user holds the raced userName";
        let found = c
            .get(
                step,
                "/Users?filter=userName%20eq%20%22kit-race%40example.com%22",
            )
            .await?;
        c.ensure(found.json["totalResults"] == 1, step, || {
            found.json.to_string()
        })?;
        Ok(c.passed())
    }
}

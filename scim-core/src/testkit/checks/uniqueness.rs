//! The uniqueness check: 409 for a taken `userName`, whatever the case and the method.

use super::*;

impl<F> TestKit<F>
where
    F: Fn() -> Arc<dyn Provisioner>,
{
    /// Uniqueness (409, RFC 7643 §4.1.1): a POST of a taken `userName` in another case,
    /// and a PUT and a PATCH of `userName` to a taken name, are 409 `uniqueness` and
    /// change nothing; a user may change the case of its own name.
    pub async fn uniqueness(&self) -> Result<Report, Failure> {
        let c = self.client("uniqueness");
        let ann = c
            .create("create ann", "/Users", &user("kit-ann@example.com"))
            .await?;
        let bob = c
            .create("create bob", "/Users", &user("kit-bob@example.com"))
            .await?;
        let bob_at = format!("/Users/{}", c.text("create bob", &bob, "/id")?);
        let step = "POST a userName taken in another case";
        let a = c
            .call(
                step,
                "POST",
                "/Users",
                &[],
                Some(&user("KIT-ANN@example.com")),
            )
            .await?;
        c.uniqueness(step, &a)?;
        let step = "PUT bob with ann's userName";
        let a = c
            .call(
                step,
                "PUT",
                &bob_at,
                &[],
                Some(&user("Kit-Ann@Example.com")),
            )
            .await?;
        c.uniqueness(step, &a)?;
        let step = "PATCH bob's userName to ann's";
        let op =
            patch(json!([{"op": "replace", "path": "userName", "value": "kit-ann@EXAMPLE.com"}]));
        let a = c.call(step, "PATCH", &bob_at, &[], Some(&op)).await?;
        c.uniqueness(step, &a)?;
        let step = "PATCH bob's userName to ann's, path-less";
        let op = patch(json!([{"op": "replace", "value": {"userName": "KIT-ann@example.com"}}]));
        let a = c.call(step, "PATCH", &bob_at, &[], Some(&op)).await?;
        c.uniqueness(step, &a)?;

        let step = "bob is unchanged after the refusals";
        let now = c.get(step, &bob_at).await?;
        c.ensure(
            now.json["userName"] == "kit-bob@example.com"
                && now.json["meta"]["version"] == bob.json["meta"]["version"],
            step,
            || format!("{} became {}", bob.json, now.json),
        )?;
        let step = "one user holds ann's userName";
        let filter = "/Users?filter=userName%20eq%20%22kit-ann%40example.com%22";
        let found = c.get(step, filter).await?;
        c.ensure(
            found.json["totalResults"] == 1 && found.json["Resources"][0]["id"] == ann.json["id"],
            step,
            || format!("want ann alone: {}", found.json),
        )?;
        let step = "bob may change the case of his own userName";
        let a = c
            .expect(
                step,
                "PUT",
                &bob_at,
                &[],
                Some(&user("KIT-BOB@example.com")),
                &[200],
            )
            .await?;
        c.ensure(a.json["userName"] == "KIT-BOB@example.com", step, || {
            a.json.to_string()
        })?;
        Ok(c.passed())
    }
}

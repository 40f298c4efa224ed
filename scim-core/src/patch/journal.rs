//! A resource changed in place by a PATCH, with what it takes to undo the change (RFC
//! 7644 §3.5.2: the operations of a request are applied all or none): before an
//! operation first changes a top-level member (an attribute, or a schema extension's
//! object), the member as stored is saved. A failed request puts the saved members back;
//! a successful one is validated on those members only.

use serde_json::{Map, Value};

/// A resource being patched in place, and the top-level members it held before the
/// first change to each.
pub(super) struct Journal<'d> {
    /// The resource being changed.
    doc: &'d mut Map<String, Value>,
    /// The changed members as stored, under their stored spellings.
    saved: Map<String, Value>,
    /// The names of the changed members, as first touched (spellings compared without
    /// case): a member absent before is undone by removing it.
    touched: Vec<String>,
}

impl<'d> Journal<'d> {
    /// A journal of the changes to `doc`, none yet.
    pub fn new(doc: &'d mut Map<String, Value>) -> Self {
        Journal {
            doc,
            saved: Map::new(),
            touched: Vec::new(),
        }
    }

    /// The resource as it is now.
    pub fn doc(&self) -> &Map<String, Value> {
        self.doc
    }

    /// The resource, to change its member `name` (any spelling), which is saved first if
    /// this is the first change to it; and the members saved so far, the stored
    /// resource as far as the changes go.
    pub fn touch(&mut self, name: &str) -> (&mut Map<String, Value>, &Map<String, Value>) {
        if !self.touched.iter().any(|t| t.eq_ignore_ascii_case(name)) {
            for (k, v) in self.doc.iter() {
                if k.eq_ignore_ascii_case(name) {
                    self.saved.insert(k.clone(), v.clone());
                }
            }
            self.touched.push(name.to_owned());
        }
        (self.doc, &self.saved)
    }

    /// Undoes every change: the resource is as it was when the journal began.
    pub fn roll_back(self) {
        restore(self.doc, self.saved, &self.touched);
    }

    /// Ends the journal, keeping the changes: the saved members and the names touched.
    pub fn finish(self) -> (Map<String, Value>, Vec<String>) {
        (self.saved, self.touched)
    }
}

/// Whether `key` is one of the `touched` names, ignoring case.
pub(super) fn is_touched(touched: &[String], key: &str) -> bool {
    touched.iter().any(|t| t.eq_ignore_ascii_case(key))
}

/// Puts the `saved` members back in `doc` in place of every spelling of the `touched`
/// names: `doc` is then as it was before they were changed.
pub(super) fn restore(doc: &mut Map<String, Value>, saved: Map<String, Value>, touched: &[String]) {
    doc.retain(|k, _| !is_touched(touched, k));
    doc.extend(saved);
}

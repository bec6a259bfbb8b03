//! A run that lost an answer or a read: whether the write happened after all (re-read), and
//! how a failed read after a write is reported.

use runai_gateway_core::state::ObjectRef;

use super::{Runner, Step};
use crate::read::Failure;
use crate::read::observe::ReadError;

impl Runner<'_> {
    /// A read that failed after this run changed something: reported like a failed write
    /// (exit 8, the continue and roll-back commands); before any change it stays a read error.
    pub(super) fn read_failed(&mut self, e: ReadError) -> Result<Step, ReadError> {
        if !self.wrote {
            return Err(e);
        }
        let what = format!("reading {}", e.what);
        Ok(Err(self.stop(&what, &e.failure)))
    }

    /// Whether a write whose answer was lost happened after all: `r` re-read, judged by `done`.
    /// Prints what the re-read found.
    pub(super) fn lost_answer(
        &mut self,
        r: &ObjectRef,
        done: impl Fn(Option<&serde_json::Value>) -> bool,
    ) -> bool {
        let happened = self.clusters.main.reread(r).is_ok_and(|live| done(live.as_ref()));
        if happened {
            self.out.line(format!("  (the answer was lost; {r} was re-read: the write is in place)"));
        }
        happened
    }

    /// `result` of creating `r`; a 409 means it is there already, and a lost answer is re-read.
    pub(super) fn created(
        &mut self,
        what: &str,
        r: &ObjectRef,
        result: Result<serde_json::Value, Failure>,
        rollback: bool,
    ) -> Step {
        match result {
            Ok(_) | Err(Failure::Status { code: 409, .. }) => {
                self.wrote = true;
                Ok(())
            }
            Err(e) if e.is_transport() && self.lost_answer(r, |live| live.is_some()) => {
                self.wrote = true;
                Ok(())
            }
            Err(e) if rollback => Err(self.stop_rollback(what, &e)),
            Err(e) => Err(self.stop(what, &e)),
        }
    }
}

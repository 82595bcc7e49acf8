//! One run in a session's workspace ([`Engine::run_in_workspace`]): the
//! workspace's files are written into a fresh box next to the program, the
//! program runs once, and every regular file the box holds afterwards comes
//! back as the workspace's new contents. Files persist this way from run to
//! run; processes and memory do not (each run is a new box).
//!
//! The program's own files (its source for an interpreted language, the
//! compiled artifacts, a language's support files) are not part of the
//! workspace: they are left out of what comes back. A workspace file with the
//! name of one of them is not put in the box (the program's wins) and comes
//! back unchanged.

use crate::engine::{outcome, summarize, Prepared};
use crate::{Engine, Error, Judgement, RunExtra, Submission};
use flash_sandbox::spec::COLLECT_ALL;
use flash_sandbox::BoxFile;
use std::collections::HashSet;

/// What a run in a workspace did.
#[derive(Debug, Clone)]
pub struct WorkspaceRun {
    /// The run's judgement (as [`Engine::judge`] gives it, tests aside).
    pub judgement: Judgement,
    /// The workspace after the run: every regular file of the box, the
    /// program's own left out. `None` when the run did not happen (a compile
    /// error, a failure of Flash): the workspace is as it was.
    pub files: Option<Vec<BoxFile>>,
    /// Files the run left that are over `max_file_kb`, with their sizes in
    /// bytes: the workspace cannot hold them (nor the run's other changes).
    pub refused: Vec<(String, u64)>,
    /// The box held more files than can be collected (see
    /// [`flash_sandbox::spec::COLLECT_ALL_MAX`]): what came back is partial.
    pub truncated: bool,
}

impl Engine {
    /// Compiles `sub` (through the cache; `sub.extra_files` go to the
    /// compiler as usual), then runs it once on `sub.stdin` in a box that also
    /// holds `workspace`, and takes every file back out. Files larger than
    /// `max_file_kb` are not taken (see [`WorkspaceRun::refused`]).
    pub fn run_in_workspace(
        &self,
        sub: &Submission,
        workspace: Vec<BoxFile>,
        max_file_kb: u64,
    ) -> Result<WorkspaceRun, Error> {
        let program = match self.prepare(sub)? {
            Prepared::Ready(p) => p,
            Prepared::Failed(j) => {
                return Ok(WorkspaceRun { judgement: *j, files: None, refused: vec![], truncated: false })
            }
        };
        let spec = self.program_spec(&program, RunExtra::default());
        let own: HashSet<String> =
            spec.files.into_iter().map(|f| f.path).chain(spec.binds.into_iter().map(|b| b.path)).collect();
        let (shadowed, placed): (Vec<BoxFile>, Vec<BoxFile>) =
            workspace.into_iter().partition(|f| own.contains(&f.path) || own.iter().any(|o| under(&f.path, o)));
        let extra = RunExtra {
            stdin: sub.stdin.clone(),
            files: placed,
            collect: vec![COLLECT_ALL.into()],
            ..RunExtra::default()
        };
        let mut spec = self.program_spec(&program, extra);
        spec.collect_max_kb = max_file_kb.max(1);
        let result = self.sandbox().run(&spec);
        let (files, mut refused) = match &result {
            Ok(r) => (r.files.clone(), r.meas.collect_refused.clone()),
            Err(_) => (Vec::new(), Vec::new()),
        };
        refused.retain(|(p, _)| !own.contains(p));
        let ran = result.is_ok();
        let o = outcome(program.language(), result, sub.expected.as_deref(), &sub.comparison);
        let a = program.compile_output().to_vec();
        let judgement = summarize(vec![o], false, a, program.compile_cached, program.compile_time);
        if !ran || judgement.run.status == crate::StatusId::InternalError {
            return Ok(WorkspaceRun { judgement, files: None, refused: vec![], truncated: false });
        }
        let truncated = files.len() >= flash_sandbox::spec::COLLECT_ALL_MAX;
        let mut out: Vec<BoxFile> = files.into_iter().filter(|f| !own.contains(&f.path)).collect();
        out.extend(shadowed);
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(WorkspaceRun { judgement, files: Some(out), refused, truncated })
    }
}

/// Whether `path` lies under the directory `dir` (or is the directory of it).
fn under(path: &str, dir: &str) -> bool {
    path.strip_prefix(dir).is_some_and(|rest| rest.starts_with('/'))
        || dir.strip_prefix(path).is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::under;

    #[test]
    fn a_path_is_under_a_directory_only_at_a_separator() {
        assert!(under("lib/a.py", "lib"));
        assert!(under("lib", "lib/a.py"));
        assert!(!under("library.py", "lib"));
        assert!(!under("lib", "lib"));
    }
}

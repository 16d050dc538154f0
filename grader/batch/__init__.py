"""Teacher mode: a whole class at once (`python -m grader rendus/`).

`find_submissions(paths)` finds the submissions (plain folders, .zip files, Moodle's download layout);
`run_batch(items, options)` grades each one in its own subprocess, in parallel, and writes the exports.
"""

from grader.batch.discovery import BatchItem, find_submissions
from grader.batch.runner import BatchOptions, run_batch
from grader.batch.worker import GradingOptions

__all__ = ["BatchItem", "BatchOptions", "GradingOptions", "find_submissions", "run_batch"]

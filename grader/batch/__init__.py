"""Teacher mode: a whole class at once (`python -m grader rendus/`).

`discovery.find_submissions(paths)` finds the submissions (plain folders, .zip files, Moodle's download
layout); `runner.run_batch(items, options)` grades each one in its own subprocess, in parallel, and writes
the exports. Nothing is imported here: a grading process (child.py) imports only what it needs.
"""

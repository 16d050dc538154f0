"""Load test of any chat server: `python -m grader.charge PATH [--clients N] [--messages M] ...`.

`generator.py` drives the simulated clients (one selectors loop, no thread per client), `runner.py`
starts the submission's server as the grader does and measures it, `ramp.py` raises the number of
clients step by step, `render.py` and `svg.py` show the figures, `cli.py` reads the command line.
"""

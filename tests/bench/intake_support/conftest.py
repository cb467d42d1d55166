# Support code for tests/bench/intake.py, imported by the server it starts; `make
# bench` collects every .py under tests/bench, and these are not benchmarks.
collect_ignore_glob = ["*.py"]

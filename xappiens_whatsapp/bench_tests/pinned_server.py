"""How the bench tier and the benchmarks start a web server: gunicorn serving wsgi.py's site-pinned app."""

import sys


def gunicorn_command(port: int, workers: int) -> list[str]:
	return [
		sys.executable,
		"-m",
		"gunicorn",
		"-b",
		f"127.0.0.1:{port}",
		"-w",
		str(workers),
		"-t",
		"120",  # a slow fault scenario must not have its worker killed mid-request
		"--preload",
		"xappiens_whatsapp.bench_tests.wsgi:application",
	]

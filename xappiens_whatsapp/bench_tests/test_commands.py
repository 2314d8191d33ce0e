"""The app's bench commands: loading them (which every `bench` invocation does) costs no more than it must."""

import subprocess
import sys

from frappe.tests.utils import FrappeTestCase


class TestCommands(FrappeTestCase):
	def test_bench_loads_the_commands_without_the_simulator(self):
		probe = (
			"import sys, xappiens_whatsapp.commands as c; "
			"assert c.commands and 'xappiens_whatsapp.testing.simulator' not in sys.modules, "
			"sorted(m for m in sys.modules if m.startswith('xappiens_whatsapp'))"
		)
		result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
		self.assertEqual(result.returncode, 0, result.stderr)

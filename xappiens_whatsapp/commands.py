"""Bench commands: `bench --site S xappiens-whatsapp simulate …` plays both providers against a site.

	bench --site dev.localhost xappiens-whatsapp simulate --conversations 10 --calls 5 --rate 20 --wait 60
	bench --site dev.localhost xappiens-whatsapp simulate-cleanup

Sessions are created as `<prefix><seed>_<n>` when missing (marked as simulated, with a secret of their own);
calls need the Netelip callback token to be set in Netelip Settings. With `--wait`, the command waits for the
site's workers to apply everything and prints what became of each event. Only this machine is ever a target:
every address of the URL's host must be loopback. Every size and bound has a ceiling, shown in `--help`.
"""

import sys

import click
from frappe.commands import get_site, pass_context

from xappiens_whatsapp.testing import sim_limits as limits

MAX_WAIT = 3600.0


def _count(most: int) -> click.IntRange:
	return click.IntRange(0, most)


def _shown(flag: str, default, kind, text: str):
	"""An option whose default `--help` shows."""
	return click.option(flag, default=default, show_default=True, type=kind, help=text)


@click.group("xappiens-whatsapp")
def xappiens_whatsapp():
	"""Xappiens WhatsApp tools."""


@xappiens_whatsapp.command(
	"simulate",
	help="Play Inbox Hub and Netelip against the site with correctly signed requests. A scenario holds at "
	f"most {limits.MAX_DELIVERIES} deliveries (retries not counted); the command refuses a bigger one.",
)
@click.option("--url", help="Where the site listens (default: the site's own URL). Loopback addresses only.")
@_shown("--sessions", 1, click.IntRange(1, limits.LIMITS["sessions"]), "WhatsApp sessions (numbers).")
@_shown(
	"--conversations", 5, _count(limits.LIMITS["conversations"]), "Conversations, spread over the sessions."
)
@_shown("--messages", 2, _count(limits.LIMITS["messages"]), "Inbound messages per conversation.")
@_shown("--replies", 1, _count(limits.LIMITS["replies"]), "Agent replies per conversation.")
@click.option("--acks/--no-acks", default=True, show_default=True, help="Acks 1 → 2 → 3 for each reply.")
@click.option("--session-events/--no-session-events", default=True, show_default=True)
@_shown("--calls", 0, _count(limits.LIMITS["calls"]), "Inbound Netelip calls.")
@_shown("--duplicates", 0.0, click.FloatRange(0, 1), "Share of deliveries sent twice.")
@click.option(
	"--reorder/--no-reorder", default=False, show_default=True, help="Shuffle within small windows."
)
@click.option("--late-acks/--no-late-acks", default=False, show_default=True, help="Acks after everything.")
@click.option(
	"--edits/--no-edits",
	default=False,
	show_default=True,
	help="Customers edit their first message and delete their last one for everyone.",
)
@click.option(
	"--seed", default=1, show_default=True, type=click.IntRange(0), help="Same seed, same ids and bodies."
)
@click.option(
	"--prefix",
	"session_prefix",
	default="sim_",
	show_default=True,
	help="Session id prefix (3 to 40 letters, digits, '_' or '-').",
)
@click.option(
	"--session",
	"session_names",
	multiple=True,
	help="Play on these sessions (made by the simulator) instead of <prefix><seed>_<n>; one per --sessions.",
)
@click.option(
	"--rate",
	type=click.FloatRange(0, limits.MAX_RATE, min_open=True),
	help="Deliveries per second (default: as fast as possible).",
)
@_shown("--duration", 60.0, click.FloatRange(0, limits.MAX_DURATION), "Stop sending after this many seconds.")
@_shown(
	"--max-count",
	10_000,
	_count(limits.MAX_COUNT),
	"Stop after this many requests; no more deliveries than this are built.",
)
@_shown("--concurrency", 4, click.IntRange(1, limits.MAX_CONCURRENCY), "Connections in parallel.")
@_shown("--provider-retries", 3, _count(limits.MAX_PROVIDER_RETRIES), "Resend after a 5xx or no answer.")
@_shown("--wait", 0.0, click.FloatRange(0, MAX_WAIT), "Seconds to wait for the workers, then check.")
@pass_context
def simulate(context, url, wait, **options):
	import frappe

	from xappiens_whatsapp.testing import sim_check
	from xappiens_whatsapp.testing import simulator as sim

	site = get_site(context)
	frappe.init(site=site)
	frappe.connect()
	try:
		send_options = {
			k: options.pop(k) for k in ("rate", "duration", "max_count", "concurrency", "provider_retries")
		}
		token, application = sim_check.netelip_credentials()
		if options["calls"] and not (token and application):
			# the endpoints refuse every call then: nothing to learn from sending them
			click.secho(
				"Netelip Settings needs a callback token and an API application name: no calls simulated.",
				fg="yellow",
			)
			options["calls"] = 0
		target = url or frappe.utils.get_url()
		try:
			sim.pin(target)  # refuse a remote target before creating anything
			config = sim.Config(**options, ack_scale=sim_check.ack_scale())
			secrets = sim_check.ensure_sessions(sim.session_ids(config))
		except (sim.NotLoopback, ValueError) as exc:
			click.secho(str(exc), fg="red")
			sys.exit(1)
		scenario = sim.build(
			config,
			secrets=secrets,
			netelip_token=token,
			netelip_application=application,
			limit=send_options["max_count"],
		)
		click.echo(f"{site}: {scenario.describe()} → {target}")
		try:
			result = sim.send(
				scenario.stream,
				target,
				rate=send_options["rate"],
				max_count=send_options["max_count"],
				max_duration=send_options["duration"],
				concurrency=send_options["concurrency"],
				provider_retries=send_options["provider_retries"],
				site=site,
			)
		except (sim.NotLoopback, ValueError) as exc:
			click.secho(str(exc), fg="red")
			sys.exit(1)
		click.echo(result.line())
		if wait > 0:
			settled = sim_check.wait_settled(scenario, wait)
			if not settled:
				click.secho(f"still pending after {wait:g}s (are workers running?)", fg="yellow")
		counts = sim_check.tally(scenario, result, complete=not result.unsent and wait > 0)
		click.echo(counts.line())
	finally:
		frappe.destroy()


@xappiens_whatsapp.command("simulate-cleanup")
@click.option(
	"--prefix",
	default="sim_",
	show_default=True,
	help="Session prefix of the simulations (3 to 40 letters, digits, '_' or '-').",
)
@pass_context
def simulate_cleanup(context, prefix):
	"""Delete what simulations left: the sessions the simulator created with this prefix, their conversations,
	messages and inbox rows, and the calls it simulated with this prefix."""
	import frappe

	from xappiens_whatsapp.testing import sim_check

	frappe.init(site=get_site(context))
	frappe.connect()
	try:
		try:
			click.echo(sim_check.cleanup(prefix))
		except ValueError as exc:
			click.secho(str(exc), fg="red")
			sys.exit(1)
	finally:
		frappe.destroy()


commands = [xappiens_whatsapp]

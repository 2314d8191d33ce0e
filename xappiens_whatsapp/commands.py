"""Bench commands: `bench --site S xappiens-whatsapp simulate …` plays both providers against a site.

	bench --site dev.localhost xappiens-whatsapp simulate --conversations 10 --calls 5 --rate 20 --wait 60
	bench --site dev.localhost xappiens-whatsapp simulate-cleanup

Sessions are created as `sim_<seed>_<n>` when missing (with a secret of their own); calls need the Netelip
callback token to be set in Netelip Settings. With `--wait`, the command waits for the site's workers to apply
everything and prints what became of each event.
"""

import sys

import click
from frappe.commands import get_site, pass_context


@click.group("xappiens-whatsapp")
def xappiens_whatsapp():
	"""Xappiens WhatsApp tools."""


@xappiens_whatsapp.command("simulate")
@click.option("--url", help="Where the site listens (default: the site's own URL). Loopback only.")
@click.option("--allow-remote", is_flag=True, help="Allow a URL that is not on this machine.")
@click.option("--sessions", default=1, show_default=True, help="WhatsApp sessions (numbers).")
@click.option(
	"--conversations", default=5, show_default=True, help="Conversations, spread over the sessions."
)
@click.option("--messages", default=2, show_default=True, help="Inbound messages per conversation.")
@click.option("--replies", default=1, show_default=True, help="Agent replies per conversation.")
@click.option("--acks/--no-acks", default=True, show_default=True, help="Acks 1 → 2 → 3 for each reply.")
@click.option("--session-events/--no-session-events", default=True, show_default=True)
@click.option("--calls", default=0, show_default=True, help="Inbound Netelip calls.")
@click.option("--duplicates", default=0.0, show_default=True, help="Share of deliveries sent twice (0-1).")
@click.option(
	"--reorder/--no-reorder", default=False, show_default=True, help="Shuffle within small windows."
)
@click.option("--late-acks/--no-late-acks", default=False, show_default=True, help="Acks after everything.")
@click.option("--seed", default=1, show_default=True, help="Same seed, same ids and bodies.")
@click.option("--rate", type=float, help="Deliveries per second (default: as fast as possible).")
@click.option("--duration", default=60.0, show_default=True, help="Stop sending after this many seconds.")
@click.option("--max-count", default=10_000, show_default=True, help="Stop after this many requests.")
@click.option("--concurrency", default=4, show_default=True, help="Connections in parallel.")
@click.option("--provider-retries", default=3, show_default=True, help="Resend after a 5xx or no answer.")
@click.option("--wait", default=0.0, show_default=True, help="Seconds to wait for the workers, then check.")
@pass_context
def simulate(context, url, allow_remote, wait, **options):
	"""Play Inbox Hub and Netelip against the site with correctly signed requests."""
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
		if options["calls"] and not token:
			click.secho("Netelip Settings has no callback token: no calls simulated.", fg="yellow")
			options["calls"] = 0
		config = sim.Config(**options, ack_scale=sim_check.ack_scale())
		secrets = sim_check.ensure_sessions(sim.session_ids(config))
		scenario = sim.build(config, secrets=secrets, netelip_token=token, netelip_application=application)
		target = url or frappe.utils.get_url()
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
				allow_remote=allow_remote,
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
@click.option("--prefix", default="sim_", show_default=True, help="Session prefix of the simulations.")
@pass_context
def simulate_cleanup(context, prefix):
	"""Delete what simulations left: their sessions, conversations, messages, inbox rows and calls."""
	import frappe

	from xappiens_whatsapp.testing import sim_check

	frappe.init(site=get_site(context))
	frappe.connect()
	try:
		click.echo(sim_check.cleanup(prefix))
	finally:
		frappe.destroy()


commands = [xappiens_whatsapp]

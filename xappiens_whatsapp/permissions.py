"""Row-level access: managers see everything; an agent sees the sessions listed for them and what is in them.

Calls: an agent sees their own calls and calls nobody owns yet (a missed inbound call anyone may return).
"""

import functools

import frappe

MANAGER_ROLES = ("System Manager", "WhatsApp Manager")
AGENT_ROLE = "WhatsApp Agent"


def is_manager(user: str | None = None) -> bool:
	user = user or frappe.session.user
	if user == "Administrator":
		return True
	return bool(set(MANAGER_ROLES) & set(frappe.get_roles(user)))


def allowed_sessions(user: str | None = None) -> list[str]:
	user = user or frappe.session.user
	return frappe.get_all(
		"WhatsApp Session User",
		filters={"user": user, "parenttype": "WhatsApp Session", "parentfield": "allowed_users"},
		pluck="parent",
		ignore_permissions=True,
	)


def can_use_session(session: str, user: str | None = None) -> bool:
	return is_manager(user) or session in allowed_sessions(user)


def can_write_from(doctype: str, name: str, session: str | None) -> bool:
	"""Whether the user may write from `session`'s number about this conversation or message: reading it (which
	a share can grant) is not enough, the user must also work on the number."""
	return bool(session) and frappe.has_permission(doctype, "read", doc=name) and can_use_session(session)


def _in_sessions(column: str, user: str) -> str:
	"""`column in ('a', 'b')`: the user's sessions as literal values, escaped. As a subquery, MariaDB misjudges
	it as a semi-join and walks the whole session for every page; literals let it use the indexes. A user on no
	session gets a condition that matches nothing."""
	sessions = allowed_sessions(user)
	if not sessions:
		return "1=0"
	return f"{column} in ({', '.join(frappe.db.escape(s) for s in sessions)})"


def _unless_manager(condition):
	"""A permission query condition for everyone but managers, who see every row."""

	@functools.wraps(condition)
	def query(user: str | None = None) -> str:
		user = user or frappe.session.user
		return "" if is_manager(user) else condition(user)

	return query


def _scoped_to_sessions(table: str, column: str):
	"""The condition for rows of `table` whose `column` names one of the user's sessions."""
	return _unless_manager(lambda user: f"({_in_sessions(f'`tab{table}`.`{column}`', user)})")


session_query = _scoped_to_sessions("WhatsApp Session", "name")
contact_query = _scoped_to_sessions("WhatsApp Contact", "session")
message_query = _scoped_to_sessions("WhatsApp Message", "session")
note_query = _scoped_to_sessions("WhatsApp Note", "session")


@_unless_manager
def session_user_query(user: str) -> str:
	"""The agents listed on a session: readable by managers and by that session's own agents."""
	table = "`tabWhatsApp Session User`"
	return f"({table}.`parenttype` = 'WhatsApp Session' and {_in_sessions(f'{table}.`parent`', user)})"


@_unless_manager
def call_query(user: str) -> str:
	# Written without ifnull() so that the index on (agent, started_at) serves each of the three values.
	agent = "`tabNetelip Call`.`agent`"
	return f"({agent} = {frappe.db.escape(user)} or {agent} = '' or {agent} is null)"


@_unless_manager
def agent_query(user: str) -> str:
	"""An agent's availability and notification switches: their own; managers see everyone's."""
	return f"`tabWhatsApp Agent`.`user` = {frappe.db.escape(user)}"


@_unless_manager
def quick_reply_query(user: str) -> str:
	"""Quick replies: an agent's own, and the shared ones for every number or for one of theirs."""
	table = "`tabWhatsApp Quick Reply`"
	return (
		f"({table}.`owner` = {frappe.db.escape(user)} or ({table}.`visibility` = 'Everyone' and"
		f" (ifnull({table}.`session`, '') = '' or {_in_sessions(f'{table}.`session`', user)})))"
	)


# has_permission hooks: return False to deny, None to let the role permissions decide.


def session_has_permission(doc, ptype=None, user=None, **kwargs):
	if not is_manager(user) and doc.name not in allowed_sessions(user):
		return False


def contact_has_permission(doc, ptype=None, user=None, **kwargs):
	if not can_use_session(doc.session, user):
		return False


def message_has_permission(doc, ptype=None, user=None, **kwargs):
	if not can_use_session(doc.session, user):
		return False


def note_has_permission(doc, ptype=None, user=None, **kwargs):
	if not can_use_session(doc.session, user):
		return False


def call_has_permission(doc, ptype=None, user=None, **kwargs):
	user = user or frappe.session.user
	if not is_manager(user) and doc.agent not in (None, "", user):
		return False


def agent_has_permission(doc, ptype=None, user=None, **kwargs):
	user = user or frappe.session.user
	if not is_manager(user) and doc.user != user:
		return False


def quick_reply_has_permission(doc, ptype=None, user=None, **kwargs):
	"""Everyone may use a shared reply; only its author and managers change it. A reply for one number is
	neither read nor written by an agent of another: it would show in that number's composer."""
	user = user or frappe.session.user
	if is_manager(user):
		return None
	if doc.session and doc.session not in allowed_sessions(user):
		return False
	if doc.owner == user or doc.is_new():
		return None
	if ptype not in (None, "read", "select", "print", "email", "report", "export"):
		return False
	if doc.visibility != "Everyone":
		return False

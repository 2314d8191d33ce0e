"""After a send whose answer was lost: did the gateway send the message anyway? Its chat history tells. Nothing is
sent again while that cannot be read: a double is worse than a delay."""

import frappe

from xappiens_whatsapp.clients.errors import ProviderError
from xappiens_whatsapp.core.media import media_kind
from xappiens_whatsapp.core.signatures import to_epoch_seconds
from xappiens_whatsapp.pipeline.times import to_epoch
from xappiens_whatsapp.pipeline.whatsapp.gateway import inbox_hub

DOCTYPE = "WhatsApp Message"


class HistoryUnreadable(Exception):
	"""The gateway's history of the chat could not be read."""


RECONCILE_WINDOW = 50  # history items per page checked for a message whose fate is unknown


RECONCILE_PAGES = 4


def sent_anyway(row):
	"""The history item of this message if the gateway sent it despite the lost answer, else None; raises
	HistoryUnreadable when the history cannot be read."""
	since = to_epoch(row.last_attempt_at or row.creation) - 120
	try:
		history = _recent_from_me(row, since)
	except ProviderError as exc:
		raise HistoryUnreadable from exc
	# Messages other desk rows already account for. A row a webhook made for this id (the gateway's
	# message.sent for our lost attempt) is not one of them: adopting the id folds that row into ours.
	known = set(
		frappe.get_all(
			DOCTYPE,
			filters={
				"session": row.session,
				"contact": row.contact,
				"from_me": 1,
				"message_id": ["in", [m.message_id for m in history] or [""]],
				"source": ["!=", "Webhook"],
			},
			pluck="message_id",
		)
	)
	return next((item for item in history if item.message_id not in known and _same_message(row, item)), None)


def _recent_from_me(row, since: float) -> list:
	"""Our messages in the chat since `since`, reading a few pages of history (its order is not documented:
	paging stops early only when it is visibly newest-first and already past `since`)."""
	found = []
	with inbox_hub() as client:
		for page in range(1, RECONCILE_PAGES + 1):
			items = client.get_chat_messages(row.session, row.chat_jid, limit=RECONCILE_WINDOW, page=page)
			times = [_epoch(item.timestamp) for item in items]
			for item, when in zip(items, times, strict=True):
				if item.from_me and item.message_id and (when is None or when >= since):
					found.append(item)
			dated = [t for t in times if t is not None]
			newest_first = len(dated) > 1 and dated[0] >= dated[-1]
			if len(items) < RECONCILE_WINDOW or (newest_first and dated[-1] < since):
				break
	return found


TEXT_TYPES = (None, "chat", "text", "conversation", "extendedTextMessage")


def _same_message(row, item) -> bool:
	body, caption = (row.body or "").strip(), (item.body or "").strip()
	if not row.attachment:
		return item.type in TEXT_TYPES and caption == body
	# A file: a media item of the same kind, with the same caption when we sent one.
	kind = media_kind(row.media_mimetype)
	same_kind = item.type is None or kind in item.type.lower() or (kind == "audio" and item.type == "ptt")
	return item.type not in TEXT_TYPES[1:] and same_kind and (caption == body if body else True)


def _epoch(value) -> float | None:
	return to_epoch_seconds(value)

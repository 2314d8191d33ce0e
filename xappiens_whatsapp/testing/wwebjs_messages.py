"""Text messages as a whatsapp-web.js gateway describes them (the `data` of an envelope G event), for the fake
gateway and the simulator alike."""


def text_message(
	remote: str, own: str, message_id: str, body: str, epoch: float, *, from_me: bool, **extra
) -> dict:
	"""A text between the chat `remote` and this number `own` (both @c.us): the customer's, or ours when `from_me`."""
	side, direction = ("true", "out") if from_me else ("false", "in")
	return {
		"id": {
			"fromMe": from_me,
			"remote": remote,
			"id": message_id,
			"_serialized": f"{side}_{remote}_{message_id}_{direction}",
		},
		"body": body,
		"type": "chat",
		"timestamp": int(epoch),
		"from": own if from_me else remote,
		"to": remote if from_me else own,
		"fromMe": from_me,
		"hasMedia": False,
		"isForwarded": False,
		**extra,
	}

"""The app's guest endpoints (providers' webhooks): their paths and the function that receives each one."""

ENDPOINTS = {
	"/api/method/xappiens_whatsapp.api.webhook.handle_webhook": "xappiens_whatsapp.api.webhook.receive",
	"/api/method/xappiens_whatsapp.api.netelip.control": "xappiens_whatsapp.api.netelip.receive_control",
	"/api/method/xappiens_whatsapp.api.netelip.report": "xappiens_whatsapp.api.netelip.receive_report",
}


def receiver_of(request) -> str | None:
	"""The dotted path of the function receiving this POST, when it is to one of our guest endpoints."""
	if request.method != "POST":
		return None
	return ENDPOINTS.get(request.path.rstrip("/"))

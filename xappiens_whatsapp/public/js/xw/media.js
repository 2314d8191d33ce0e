// Media in a conversation's thread (photos with a viewer, stickers, voice notes and audio players, video with its
// first frame as poster, documents, the state of a file still being fetched or not available, with Retry) and the
// composer's voice note recorder and location sender.
frappe.provide("xappiens_whatsapp.media");

const media = xappiens_whatsapp.media;
const VOICE_TYPES = ["audio/ogg;codecs=opus", "audio/webm;codecs=opus", "audio/mp4"];
const MAX_RECORDING_SECONDS = 15 * 60;
// Frappe's icon set has no microphone.
const MIC_ICON = `<svg class="icon icon-sm" viewBox="0 0 16 16" fill="none" stroke="currentColor" stroke-width="1.3"
	stroke-linecap="round"><rect x="5.5" y="1.5" width="5" height="8.5" rx="2.5"/><path d="M3 7.5a5 5 0 0 0 10 0M8 12.5V15"/></svg>`;

media.METHODS = {
	retry: "xappiens_whatsapp.api.media.retry_media",
	send_voice_note: "xappiens_whatsapp.api.media.send_voice_note",
	send_location: "xappiens_whatsapp.api.media.send_location",
};

media.html = function (row) {
	const xw = xappiens_whatsapp;
	const esc = xw.esc;
	if (row.message_type === "location" || (row.latitude && row.longitude)) return media.location_html(row);
	// Our own stored file, else the provider's address if it is one worth a link (see safe_url) and no download of
	// ours is under way or failed (WhatsApp's own addresses expire or serve encrypted bytes: a broken picture).
	const fetching = ["Queued", "Retrying", "Failed", "Expired"].includes(row.media_status);
	const href = xw.own_file_url(row.attachment) || (fetching ? "" : xw.safe_url(row.media_url));
	if (!href) return media.missing_html(row);
	const mimetype = row.media_mimetype || "";
	const type = row.message_type;
	const name = row.media_filename || href.split("/").pop() || __("File");
	if (type === "sticker" || mimetype.startsWith("image/") || (!mimetype && type === "image")) {
		const kind = type === "sticker" ? "xw-sticker" : "xw-image";
		return `<a class="${kind}" href="${esc(href)}" target="_blank" rel="noopener noreferrer" data-viewer="1">
			<img src="${esc(href)}" alt="${esc(row.media_filename || __("Photo"))}" loading="lazy"></a>`;
	}
	if (cint(row.voice_note)) {
		return `<div class="xw-voice">${MIC_ICON}
			<audio class="xw-audio xw-voice-player" controls preload="metadata" src="${esc(href)}"></audio></div>`;
	}
	if (mimetype.startsWith("audio/") || type === "audio") {
		return `<audio class="xw-audio" controls preload="metadata" src="${esc(href)}"></audio>`;
	}
	if (mimetype.startsWith("video/") || type === "video") {
		// #t=0.1 makes the browser show the first frame as the poster without playing.
		return `<video class="xw-video" controls preload="metadata" src="${esc(href)}#t=0.1"></video>`;
	}
	const size = xw.format_size(row.media_size);
	return `<a class="xw-file" href="${esc(href)}" target="_blank" rel="noopener noreferrer" download="${esc(name)}">
		${frappe.utils.icon("file", "sm")} <span class="ellipsis">${esc(name)}</span>
		${size ? `<span class="text-muted small">${size}</span>` : ""}
	</a>`;
};

media.location_html = function (row) {
	const lat = flt(row.latitude);
	const lng = flt(row.longitude);
	if (!lat && !lng) return "";
	const url = `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lng}#map=16/${lat}/${lng}`;
	return `<a class="xw-location" href="${url}" target="_blank" rel="noopener noreferrer">
		${frappe.utils.icon("map", "sm")} ${__("Location")} (${format_number(lat, null, 5)}, ${format_number(lng, null, 5)})
	</a>`;
};

media.missing_html = function (row) {
	const xw = xappiens_whatsapp;
	const esc = xw.esc;
	const has_media = row.attachment || row.media_url || row.media_status ||
		(row.message_type && !["text", "reaction"].includes(row.message_type) && !row.body);
	if (!has_media) return "";
	const label = esc(row.media_filename || xw.message_preview(row));
	if (row.media_status === "Queued") {
		return `<div class="xw-media-missing xw-media-fetching text-muted">${label}
			<div class="small">${__("Fetching the file...")}</div></div>`;
	}
	if (["Retrying", "Failed", "Expired"].includes(row.media_status)) {
		const retry = row.media_status === "Expired" ? "" :
			`<button class="btn btn-xs btn-default xw-media-retry">${__("Retry")}</button>`;
		const why = row.media_status === "Expired" ? __("file removed") : __("media not available");
		const note = row.media_status === "Retrying" ? ` <span class="small">(${__("trying again soon")})</span>` : "";
		return `<div class="xw-media-missing xw-media-failed text-muted">${label}
			<div class="small xw-media-error">${why}: ${esc(row.media_error || "")}${note}</div>${retry}</div>`;
	}
	return `<div class="xw-media-missing text-muted">${label}</div>`;
};

media.view = function (href, title) {
	const dialog = new frappe.ui.Dialog({ title: title || __("Photo"), size: "large" });
	const esc = xappiens_whatsapp.esc;
	dialog.$body.html(`<div class="xw-viewer">
		<img src="${esc(href)}" alt="${esc(title || "")}">
		<div><a href="${esc(href)}" download>${__("Download")}</a></div></div>`);
	dialog.show();
	return dialog;
};

// ---- the composer ----------------------------------------------------------------------------------

media.enhance = function (conversation) {
	const $composer = conversation.$wrapper.find(".xw-composer");
	const $attach = $composer.find(".xw-attach");
	const $record = $(`<button class="btn btn-default btn-sm xw-record" title="${__("Record a voice note")}">
		${MIC_ICON}</button>`);
	const $location = $(`<button class="btn btn-default btn-sm xw-send-location" title="${__("Send a location")}">
		${frappe.utils.icon("map", "sm")}</button>`);
	$attach.after($location).after($record);
	$record.on("click", () => media.toggle_recording(conversation, $record));
	$location.on("click", () => media.ask_location(conversation));
	conversation.$list.on("click", ".xw-media-retry", (e) => {
		media.retry(conversation, $(e.currentTarget).closest(".xw-msg").attr("data-name"));
	});
	conversation.$list.on("click", "a[data-viewer]", (e) => {
		if (e.ctrlKey || e.metaKey || e.shiftKey) return;
		e.preventDefault();
		const $a = $(e.currentTarget);
		media.view($a.attr("href"), $a.find("img").attr("alt"));
	});
};

media.retry = async function (conversation, name) {
	const row = conversation.messages.find((m) => m.name === name);
	try {
		await xappiens_whatsapp.post(media.METHODS.retry, { message: name });
		if (row) {
			row.media_status = "Queued";
			conversation.render();
		}
	} catch (e) {
		// explained by the server's message
	}
};

media.recording_type = function () {
	if (!window.MediaRecorder) return null;
	return VOICE_TYPES.find((t) => MediaRecorder.isTypeSupported(t)) || "";
};

media.toggle_recording = async function (conversation, $button) {
	if (conversation.recorder) {
		conversation.recorder.stop();
		return;
	}
	const type = media.recording_type();
	if (type === null || !navigator.mediaDevices) {
		frappe.msgprint(__("This browser cannot record audio."));
		return;
	}
	let stream;
	try {
		stream = await navigator.mediaDevices.getUserMedia({ audio: true });
	} catch (e) {
		frappe.msgprint(__("The microphone is not available: {0}", [xappiens_whatsapp.esc(e.message || e.name)]));
		return;
	}
	const recorder = new MediaRecorder(stream, type ? { mimeType: type } : {});
	const chunks = [];
	conversation.recorder = recorder;
	$button.addClass("btn-danger xw-recording").attr("title", __("Stop and send"));
	const limit = setTimeout(() => recorder.state === "recording" && recorder.stop(), MAX_RECORDING_SECONDS * 1000);
	recorder.ondataavailable = (e) => e.data.size && chunks.push(e.data);
	recorder.onstop = async () => {
		clearTimeout(limit);
		stream.getTracks().forEach((t) => t.stop());
		conversation.recorder = null;
		$button.removeClass("btn-danger xw-recording").attr("title", __("Record a voice note"));
		const blob = new Blob(chunks, { type: (recorder.mimeType || type || "audio/webm").split(";")[0] });
		if (blob.size) await media.send_voice_note(conversation, blob);
	};
	recorder.start(250);
};

media.extension = function (mimetype) {
	return { "audio/ogg": "ogg", "audio/webm": "webm", "audio/mp4": "m4a" }[mimetype] || "ogg";
};

media.upload = async function (conversation, blob, file_name) {
	const form = new FormData();
	form.append("file", blob, file_name);
	form.append("is_private", "1");
	form.append("doctype", "WhatsApp Contact");
	form.append("docname", conversation.contact);
	const response = await fetch("/api/method/upload_file", {
		method: "POST",
		headers: { "X-Frappe-CSRF-Token": frappe.csrf_token, Accept: "application/json" },
		body: form,
	});
	if (!response.ok) throw new Error(__("The recording could not be uploaded"));
	return (await response.json()).message;
};

media.send_voice_note = async function (conversation, blob) {
	const stamp = frappe.datetime.now_datetime().replace(/[^0-9]/g, "");
	const pending = conversation.add_pending({ message_type: "audio", voice_note: 1, media_filename: __("Voice note") });
	try {
		const file = await media.upload(conversation, blob, `voice-note-${stamp}.${media.extension(blob.type)}`);
		const result = await xappiens_whatsapp.post(media.METHODS.send_voice_note, {
			file_url: file.file_url,
			contact: conversation.contact,
			client_ref: pending.client_ref,
		});
		conversation.settle(pending, result);
	} catch (e) {
		conversation.drop(pending);
		if (e && e.message) frappe.msgprint(xappiens_whatsapp.esc(e.message));
	}
};

media.ask_location = function (conversation) {
	const dialog = new frappe.ui.Dialog({
		title: __("Send a location"),
		fields: [
			{ fieldname: "latitude", label: __("Latitude"), fieldtype: "Float", precision: 6, reqd: 1 },
			{ fieldname: "longitude", label: __("Longitude"), fieldtype: "Float", precision: 6, reqd: 1 },
			{ fieldname: "label", label: __("Name or address"), fieldtype: "Data" },
			{ fieldname: "here", label: __("Use my position"), fieldtype: "Button" },
		],
		primary_action_label: __("Send"),
		primary_action: async (values) => {
			dialog.hide();
			const pending = conversation.add_pending({ message_type: "location", body: values.label || "", ...values });
			try {
				const result = await xappiens_whatsapp.post(media.METHODS.send_location, {
					...values,
					contact: conversation.contact,
					client_ref: pending.client_ref,
				});
				conversation.settle(pending, result);
			} catch (e) {
				conversation.drop(pending);
			}
		},
	});
	dialog.fields_dict.here.$input.on("click", () => {
		navigator.geolocation?.getCurrentPosition(
			(p) => dialog.set_values({ latitude: p.coords.latitude, longitude: p.coords.longitude }),
			(e) => frappe.show_alert({ message: __("Position not available: {0}", [e.message]), indicator: "orange" })
		);
	});
	dialog.show();
	return dialog;
};

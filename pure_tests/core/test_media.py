import pytest

from xappiens_whatsapp.core.media import media_kind


@pytest.mark.parametrize(
	("mimetype", "kind"),
	[
		("image/jpeg", "image"),
		("video/mp4", "video"),
		("audio/ogg; codecs=opus", "audio"),
		("application/pdf", "document"),
		("text/plain", "document"),
		(None, "document"),
		("", "document"),
		("imagex/png", "document"),
	],
)
def test_a_file_goes_as_its_kind(mimetype, kind):
	assert media_kind(mimetype) == kind

import pytest

from xappiens_whatsapp.core.destinations import Refusal, parse_countries, refusal

SPAIN = frozenset({"ES"})


@pytest.mark.parametrize(
	"number",
	["+34600000001", "+34910000001", "+34800123456"],  # mobile, fixed line, toll-free
)
def test_ordinary_lines_of_an_allowed_country_may_be_called(number):
	assert refusal(number, SPAIN) is None


@pytest.mark.parametrize(
	("number", "kind"),
	[
		("+34806123456", "premium-rate"),
		("+34803123456", "premium-rate"),
		("+34807123456", "premium-rate"),
		("+34901123456", "shared-cost"),
		("+34902123456", "shared-cost"),
		("+34700123456", "personal"),
		("+447012345678", "personal"),
		("+448712345678", "premium-rate"),
		("+19002345678", "premium-rate"),
		("+351707123456", "universal access"),
		("+33891123456", "premium-rate"),
		("+447640123456", "special-rate"),  # a pager
	],
)
def test_special_rate_numbers_are_refused_whatever_the_countries(number, kind):
	assert refusal(number, {"ES", "GB", "US", "PT", "FR"}) == Refusal(kind=kind)


@pytest.mark.parametrize(
	("number", "country"),
	[("+33612345678", "FR"), ("+442079460958", "GB"), ("+18762345678", "JM"), ("+12025550123", "US")],
)
def test_other_countries_are_refused_unless_listed(number, country):
	assert refusal(number, SPAIN) == Refusal(country=country)
	assert refusal(number, {"ES", country}) is None


def test_a_number_phonenumbers_cannot_read_is_refused():
	assert refusal("+882123456789", {"ES"}) == Refusal(kind="special-rate")
	assert refusal("nonsense", {"ES"}) == Refusal(kind="special-rate")


@pytest.mark.parametrize(
	("text", "expected"),
	[
		(None, {"ES"}),
		("", {"ES"}),
		("  \n", {"ES"}),
		("pt", {"PT"}),
		("ES, pt;FR\nUS", {"ES", "PT", "FR", "US"}),
	],
)
def test_countries_setting(text, expected):
	assert parse_countries(text, "es") == expected


@pytest.mark.parametrize("text", ["ES, XX", "Spain", "001"])
def test_unknown_country_codes_are_refused(text):
	with pytest.raises(ValueError):
		parse_countries(text, "ES")


def test_the_first_unknown_country_code_is_named():
	with pytest.raises(ValueError) as refused:
		parse_countries("ES, zz, XX", "ES")
	assert str(refused.value) == "Not a country code: XX"

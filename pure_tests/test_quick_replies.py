from hypothesis import given
from hypothesis import strategies as st

from xappiens_whatsapp.core.quick_replies import FIELDS, TEMPLATE_SYNTAX, problems, render, split_name


def test_known_fields_are_filled_and_missing_ones_render_empty():
	template = "Hola {{ first_name }}, soy {{agent_first_name}}. Tu número: {{ phone }}."
	assert (
		render(template, {"first_name": "Ana", "agent_first_name": "Luis"})
		== "Hola Ana, soy Luis. Tu número: ."
	)
	assert problems(template) == []


def test_values_are_inserted_once_and_never_read_as_templates():
	hostile = "{{ agent_email }} <script>alert(1)</script> {% for x in y %}"
	out = render("Hi {{ first_name }}", {"first_name": hostile, "agent_email": "secret@example.com"})
	assert out == "Hi " + hostile
	assert "secret@example.com" not in out


def test_anything_but_a_known_field_is_refused():
	assert problems("{{ password }}")
	assert problems("{{ first_name.__class__ }}")
	assert problems("{{ 7 * 7 }}")
	assert problems("{% if x %}hi{% endif %}")
	assert problems("Hola {{ first_name")
	assert problems("Hola first_name }}")
	assert problems("{# note #}")
	assert problems("Precio: 5 € {por unidad}") == []
	assert problems("") == []


@given(st.text())
def test_a_template_that_saves_renders_without_any_template_syntax_left(text):
	out = render(text, {})
	if not problems(text):
		assert TEMPLATE_SYNTAX.search(out) is None


@given(st.dictionaries(st.sampled_from(sorted(FIELDS)), st.text()))
def test_every_field_value_comes_out_verbatim(values):
	template = " | ".join(f"{{{{ {name} }}}}" for name in sorted(FIELDS))
	assert render(template, values) == " | ".join(values.get(name, "") for name in sorted(FIELDS))


def test_split_name():
	assert split_name("Ana María López") == ("Ana", "María López")
	assert split_name("  ") == ("", "")
	assert split_name(None) == ("", "")

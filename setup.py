from setuptools import find_namespace_packages, setup

from xappiens_whatsapp import __version__ as version

with open("requirements.txt") as f:
	install_requires = [line.strip() for line in f if line.strip() and not line.startswith("#")]

setup(
	name="xappiens_whatsapp",
	version=version,
	description="WhatsApp (Inbox Hub) and Netelip telephony inside the Frappe desk CRM",
	author="Xappiens",
	author_email="dev@xappiens.com",
	license="MIT",
	# Namespace discovery: the folders of assets and sample payloads (no __init__.py) ship with the code.
	packages=find_namespace_packages(include=["xappiens_whatsapp", "xappiens_whatsapp.*"]),
	zip_safe=False,
	include_package_data=True,
	install_requires=install_requires,
	python_requires=">=3.11",
)

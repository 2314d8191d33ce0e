"""The simulator's endpoints and hard ceilings, apart so that `bench` can describe its options without loading the
simulator itself."""

WEBHOOK_PATH = "/api/method/xappiens_whatsapp.api.webhook.handle_webhook"
CONTROL_PATH = "/api/method/xappiens_whatsapp.api.netelip.control"
REPORT_PATH = "/api/method/xappiens_whatsapp.api.netelip.report"

# Hard ceilings: the simulator is for demos and benchmarks on one machine, never a flood tool.
MAX_COUNT = 200_000  # requests per `send`, retries included
MAX_DURATION = 3600.0  # seconds per `send`
MAX_RATE = 10_000.0  # requests per second
MAX_CONCURRENCY = 64
MAX_PROVIDER_RETRIES = 10
MAX_DELIVERIES = 100_000  # logical deliveries per scenario: the stream is built in memory
LIMITS = {  # upper bound of each Config size
	"sessions": 50,
	"conversations": 100_000,
	"messages": 100,
	"replies": 100,
	"calls": 10_000,
	"reorder_window": 1000,
}

// Preloaded into Frappe's socket.io server: resolve *.localhost to loopback, as browsers do. The server
// authenticates each socket by calling back the site at the page's origin (http://<site>.localhost:<port>).
const dns = require("dns");

const lookup = dns.lookup;
dns.lookup = function (hostname, options, callback) {
	if (typeof options === "function") {
		callback = options;
		options = {};
	}
	if (typeof hostname === "string" && (hostname === "localhost" || hostname.endsWith(".localhost"))) {
		const opts = typeof options === "number" ? { family: options } : options || {};
		if (opts.all) return process.nextTick(callback, null, [{ address: "127.0.0.1", family: 4 }]);
		return process.nextTick(callback, null, "127.0.0.1", 4);
	}
	return lookup.call(dns, hostname, options, callback);
};

-- wrk: signed-in page renders and server-function calls, round-robin over the mix.
-- The cookie comes from the COOKIE environment variable (load.sh signs in first).
local cookie = os.getenv("COOKIE") or ""
local origin = os.getenv("ORIGIN") or ""
local requests = {
  { "GET", "/" },
  { "GET", "/transactions" },
  { "GET", "/accounts" },
  { "GET", "/budgets" },
  { "GET", "/reports" },
  { "GET", "/categories" },
  { "POST", "/api/dashboard", "" },
  { "POST", "/api/accounts", "" },
  { "POST", "/api/transactions", "" },
  { "POST", "/api/budgets", "" },
  { "POST", "/api/insights", "" },
  { "POST", "/api/whoami", "" },
}
local i = 0
local statuses = {}

request = function()
  i = i % #requests + 1
  local r = requests[i]
  local headers = { ["Cookie"] = cookie, ["Accept"] = "application/json" }
  if r[1] == "POST" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    headers["Origin"] = origin
    return wrk.format("POST", r[2], headers, r[3])
  end
  headers["Accept"] = "text/html"
  return wrk.format("GET", r[2], headers)
end

response = function(status, headers, body)
  if status >= 400 then
    statuses[status] = (statuses[status] or 0) + 1
  end
end

done = function(summary, latency, requests)
  io.write(string.format("latency_ms p50=%.1f p90=%.1f p99=%.1f max=%.1f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end

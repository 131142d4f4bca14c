-- POST the hostname lookup with a different synthetic hostname every request.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local q = 'query($h: String!) { configurationItems(where: {hostname: $h}, first: 1) { edges { node { id name kind hostname owner { name email oncallContact } vendor { name } services { name tier } identifiers { kind value } } } } }'
local n = 0
request = function()
  n = n + 1
  local h = string.format("host-%06d", (n * 7919) % 100000 + 1)
  return wrk.format(nil, "/graphql", nil, '{"query":"' .. q .. '","variables":{"h":"' .. h .. '"}}')
end

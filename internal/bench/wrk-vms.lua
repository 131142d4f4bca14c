wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"query":"{ configurationItems(first: 100, where: {kind: VM}, orderBy: [{field: NAME}]) { edges { node { id name hostname owner { name } vendor { name } } } } }"}'
response = function(status, headers, body)
  if status ~= 200 then print(status, body) end
end

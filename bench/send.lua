-- wrk script: PUT a message to one room with a unique transaction id per request.
-- Environment: HUSH_TOKEN, HUSH_ROOM (percent-encoded room id).
local token = os.getenv("HUSH_TOKEN")
local room = os.getenv("HUSH_ROOM")
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  local path = "/_matrix/client/v3/rooms/" .. room .. "/send/m.room.message/w" .. tid .. "_" .. counter .. "_" .. math.random(1, 1000000000)
  return wrk.format("PUT", path, { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, '{"msgtype":"m.text","body":"load"}')
end

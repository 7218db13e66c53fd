-- wrk: POST survey responses, each with its own external_id.
-- Set by bench/run.sh through the environment: BENCH_PATH, BENCH_KEY,
-- BENCH_RUN (a prefix that makes external_ids unique across runs).

local objectives = {
	"reduce-blight", "enhance-public-health", "reduce-crime-and-disorder",
	"stabilize-and-revitalize-neighborhoods", "grow-business-and-industry",
	"improve-visual-appearance", "control-long-term-costs",
}
local levels = { "strongly_disagree", "disagree", "neutral", "agree",
	"strongly_agree" }

local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
	thread:set("tid", #threads + 1)
	table.insert(threads, thread)
end

function init(args)
	thread_id = tid
	math.randomseed(os.time() + thread_id)
end

function request()
	counter = counter + 1
	local a = math.random(#objectives)
	local b = a % #objectives + 1
	local c = b % #objectives + 1
	local body = string.format(
	    '{"external_id":"%s-%d-%d","answers":{"right-plan":"%s",' ..
	    '"top-priorities":["%s","%s","%s"]},"channel":"bench"}',
	    os.getenv("BENCH_RUN"), thread_id, counter,
	    levels[math.random(#levels)], objectives[a], objectives[b],
	    objectives[c])
	return wrk.format("POST", os.getenv("BENCH_PATH"), {
		["Host"] = "127.0.0.1",
		["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY"),
		["Content-Type"] = "application/json",
	}, body)
end

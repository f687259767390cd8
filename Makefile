# AgentOps: `make run` trains an agent end to end on this machine; `make test` runs every test.
# Both install what they need first (`make deps`, idempotent).
SHELL := /bin/bash
CONFIG ?= Release
DOTNET ?= dotnet
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE := 1
RUN_MANIFEST ?= examples/arithmetic-grpo.yaml
# --compare: also the text-only twin (the ReTool comparison row of the table).
RUN_ARGS ?= --compare
AGENTOPS := operator/bin/$(CONFIG)/net10.0/agentops

.PHONY: deps build test run bench clean

deps:
	@bash scripts/deps.sh

build: deps
	$(DOTNET) build AgentOps.sln -c $(CONFIG) -nologo -clp:ErrorsOnly

test: build
	@bash scripts/test.sh $(CONFIG)

run: build
	$(AGENTOPS) run $(RUN_MANIFEST) $(RUN_ARGS)

# The gateway pods' gen0 budget (operator/Reconcile/TrainingRunChildren.cs GatewayGcValue): the pipeline bench hosts the
# gateway, so it runs with the gateway's GC setting (the pipeline bench prints the value it ran with).
# The torch bench runs the engine before TorchSharp beside the current one: scripts/bench-torch-old.sh builds it.
bench: build
	@if [ -z "$(BENCH)" ] || [[ ",$(BENCH)," == *",torch,"* ]]; then export AGENTOPS_BENCH_OLD_TORCH=$$(bash scripts/bench-torch-old.sh); fi; \
	DOTNET_GCgen0size=$${DOTNET_GCgen0size:-0x2000000} $(DOTNET) tests/AgentOps.Bench/bin/$(CONFIG)/net10.0/AgentOps.Bench.dll $(BENCH)

clean:
	$(DOTNET) clean AgentOps.sln -c $(CONFIG) -nologo >/dev/null

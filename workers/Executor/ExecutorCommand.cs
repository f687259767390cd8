using System.Runtime.InteropServices;
using AgentOps.Protos.Api;
using Grpc.Net.Client;
using AgentOps.Telemetry;
using AgentOps.Protos.V1;
using AgentOps.Workers.Agent;
using AgentOps.Workers.Environments;
using AgentOps.Workers.Sandbox;
using Microsoft.Extensions.Logging;

namespace AgentOps.Workers.Executor;

/// <summary>`agentops-workers executor`: wires manifest, sandbox pool, environment, policy and sink together.</summary>
public static class ExecutorCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }));
        var logger = loggerFactory.CreateLogger("AgentOps.Executor");
        ExecutorCommandLine cl;
        TrainingRun run;
        try
        {
            cl = ExecutorCommandLine.Parse(args);
            run = Manifests.LoadTrainingRun(cl.Manifest);
            // Settings nobody reads and held-out sets the settings cannot fill are manifest errors, found before anything starts.
            await EnvironmentFactory.CheckAsync(ManifestMapping.Environment(run), EvalTasks(cl, run));
        }
        catch (Exception e) when (e is ArgumentException or ManifestException or IOException)
        {
            Console.Error.WriteLine($"executor: {e.Message}");
            return 2;
        }

        using var stop = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        try
        {
            await RunAsync(cl, run, loggerFactory, TimeProvider.System, stop.Token);
            return 0;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or SandboxUnavailableException or InvalidOperationException)
        {
            logger.LogError("executor failed: {Error}", e.Message);
            return 1;
        }
    }

    public static async Task<ExecutorSummary> RunAsync(ExecutorCommandLine cl, TrainingRun run, ILoggerFactory loggerFactory, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var logger = loggerFactory.CreateLogger("AgentOps.Executor");
        var executor = cl.Executor ?? Environment.GetEnvironmentVariable("POD_NAME") ?? Environment.MachineName;
        var envOptions = ManifestMapping.Environment(run);
        var toolsDir = cl.ToolsDir ?? Directory.CreateTempSubdirectory("agentops-tools-").FullName;
        ToolsFolder.Write(toolsDir);
        var concurrency = Math.Max(1, cl.Concurrency ?? run.Spec.Sandbox.WarmPerReplica);
        // Eval measures the policy greedily (temperature 0), as the held-out numbers in reports assume.
        var agent = cl.Split == "eval" ? ManifestMapping.Agent(run) with { Temperature = 0 } : ManifestMapping.Agent(run);
        var settings = new ExecutorSettings(run.Metadata.Name, executor, envOptions, agent, cl.Split, cl.Episodes,
            run.Spec.Algorithm.GroupSize, concurrency, cl.RecoverRate, Incarnation: time.GetUtcNow().ToUnixTimeMilliseconds().ToString("x", System.Globalization.CultureInfo.InvariantCulture));
        settings.Validate();

        using var metrics = new ExecutorMetrics();
        using var sandboxMetrics = new SandboxMetrics();
        var factory = SandboxFactory.Create(ManifestMapping.Sandbox(run, cl.Runtime, cl.AllowFallback, toolsDir), loggerFactory, sandboxMetrics, time);
        await using var pool = new AgentOps.Workers.Sandbox.Pool.SandboxPool(factory, concurrency, loggerFactory, time);
        await using var metricsServer = cl.MetricsPort is { } port ? new MetricsServer(new MetricsServerOptions { Port = port }) : null;
        if (metricsServer is not null) await metricsServer.StartAsync(cancellationToken);

        var environment = await EnvironmentFactory.CreateAsync(envOptions, pool.AcquireAsync, cl.Split == "eval" ? EvalTasks(cl, run) : 0, cancellationToken);
        if (environment is AgentOps.Workers.Environments.Cat.CatEnvironment cat)
            ExecutorLog.CatTasks(logger, cat.Tasks.Count, cl.Split == "eval" ? 0 : EnvironmentSettings.Parse(envOptions, AgentOps.Workers.Environments.Cat.CatSettings.Read).Tasks, cat.HeldOutTasks.Count);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(120) };
        GrpcPolicyClient? grpcPolicy = null;
        IPolicyClient policy;
        if (cl.Policy == "scripted") policy = new ScriptedPolicy(cl.RecoverRate);
        else if (cl.PolicyApi == "openai")
            policy = new OpenAiChatPolicy(http, new Uri(cl.Policy.EndsWith('/') ? cl.Policy : cl.Policy + "/"),
                cl.Model ?? throw new ArgumentException("--model: required with --policy-api openai"), Environment.GetEnvironmentVariable("OPENAI_API_KEY"));
        else policy = grpcPolicy = GrpcPolicyClient.ForAddress(cl.Policy, TimeSpan.FromSeconds(120), cl.Token, time);

        using var gatewayChannel = cl.Results is null ? GrpcChannel.ForAddress(cl.Gateway!) : null;
        ITrajectorySink sink = cl.Results is not null
            ? new ResultsFileSink(cl.Results)
            : new PusherSink(new AgentOps.Workers.Pipeline.TrajectoryPusher(gatewayChannel!,
                new AgentOps.Workers.Pipeline.PusherOptions { BearerToken = cl.Token, TimeProvider = time }));
        if (ManifestMapping.ExportPath(run, cl.SftExport, cl.ExportDir, executor) is { } export)
        {
            sink = new ExportingSink(sink, ManifestMapping.ExportFilter(run), export);
            ExecutorLog.Exporting(logger, run.Spec.Export.MinReward, export);
        }
        else if (run.Spec.Export.SftJsonl && cl.Split == "train") ExecutorLog.ExportNowhere(logger);
        await using (sink)
        {
            ExecutorLog.Starting(logger, executor, settings.RunId, environment.Name, policy.Name, factory.Runtime, concurrency);
            var runner = new EpisodeRunner(new AgentLoop(settings.Agent, time), environment, pool.AcquireAsync, time);
            return await new ExecutorService(settings, runner, policy, grpcPolicy, sink, metrics, logger, time).RunAsync(cancellationToken);
        }
    }

    /// <summary>The held-out tasks this process needs to exist: --episodes in eval mode, else spec.environment.eval.tasks.</summary>
    private static int EvalTasks(ExecutorCommandLine cl, TrainingRun run) =>
        cl.Split == "eval" && cl.Episodes is { } n ? n : run.Spec.Environment.Eval.Tasks;
}

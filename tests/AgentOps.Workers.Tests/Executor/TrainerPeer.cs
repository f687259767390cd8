using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client;
using AgentOps.Telemetry.Grpc;
using AgentOps.Protos.Tokenization;
using AgentOps.Protos.V1;

namespace AgentOps.Workers.Tests.Executor;

/// <summary>
/// A stand-in trainer on the real gRPC transport: Policy.Info walks through the given phases (one per Info
/// call after the first), Policy.Generate writes code then the answer it printed, and TrajectoryIngest.Push
/// stores what arrives. Records the authorization header of every call.
/// </summary>
internal sealed class TrainerPeer : IAsyncDisposable
{
    private readonly GrpcServerHost _host;
    public PolicyService Policy { get; }
    public IngestService Ingest { get; }

    private TrainerPeer(GrpcServerHost host, PolicyService policy, IngestService ingest)
    {
        _host = host;
        Policy = policy;
        Ingest = ingest;
    }

    public string Address => $"http://127.0.0.1:{_host.Port}";

    public static async Task<TrainerPeer> StartAsync(params string[] phases)
    {
        var policy = new PolicyService(phases);
        var ingest = new IngestService();
        var host = await GrpcServerHost.StartAsync(new GrpcServerHostOptions { Port = 0 },
            [GrpcService.Of(policy), GrpcService.Of(ingest)]);
        return new TrainerPeer(host, policy, ingest);
    }

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    internal sealed class PolicyService(string[] phases) : AgentOps.Protos.V1.Policy.PolicyBase
    {
        private int _infoCalls, _answers;

        /// <summary>When above 0, every this many-th answer is wrong (reward 0).</summary>
        public int WrongEvery;
        public ConcurrentQueue<string?> Authorization { get; } = new();
        public int GenerateCalls;

        public override Task<PolicyInfo> Info(InfoRequest request, ServerCallContext context)
        {
            Authorization.Enqueue(context.RequestHeaders.GetValue("authorization"));
            var i = Math.Min(Interlocked.Increment(ref _infoCalls) - 1, phases.Length - 1);
            return Task.FromResult(new PolicyInfo { Phase = phases[i], PolicyVersion = 5, Step = i });
        }

        public override Task<GenerateResponse> Generate(GenerateRequest request, ServerCallContext context)
        {
            Interlocked.Increment(ref GenerateCalls);
            var prompt = ByteTokenizer.Decode(request.PromptTokenIds.ToArray());
            var q = prompt[3..prompt.IndexOf('\n')];
            var text = prompt.Contains("<output>") ? $"<answer>{prompt.Split("<output>")[1].Split("</output>")[0]}</answer>" : $"<code>print({q})</code>";
            if (WrongEvery > 0 && text.StartsWith("<answer>", StringComparison.Ordinal) && Interlocked.Increment(ref _answers) % WrongEvery == 0)
                text = "<answer>-1</answer>";
            var response = new GenerateResponse { Text = text, PolicyVersion = 5, FinishReason = FinishReason.Stop };
            response.TokenIds.Add(ByteTokenizer.Encode(text));
            response.Logprobs.Add(Enumerable.Repeat(-0.125f, response.TokenIds.Count));
            return Task.FromResult(response);
        }
    }

    /// <summary>Serves Push only, like a gateway from before PushBatches: the executor's pusher falls back to it.</summary>
    internal sealed class IngestService : TrajectoryIngest.TrajectoryIngestBase
    {
        public ConcurrentQueue<Trajectory> Received { get; } = new();
        public ConcurrentQueue<string?> Authorization { get; } = new();

        public override async Task<PushAck> Push(IAsyncStreamReader<Trajectory> requestStream, ServerCallContext context)
        {
            Authorization.Enqueue(context.RequestHeaders.GetValue("authorization"));
            ulong n = 0;
            await foreach (var t in requestStream.ReadAllAsync(context.CancellationToken))
            {
                Received.Enqueue(t);
                n++;
            }
            return new PushAck { Accepted = n };
        }
    }
}

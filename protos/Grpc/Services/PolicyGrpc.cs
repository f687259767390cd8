using AgentOps.Protos.Grpc;

namespace AgentOps.Protos.V1;

/// <summary>
/// Hand-written equivalent of what Grpc.Tools would generate for <c>agentops.v1.Policy</c> (policy.proto).
/// <code>
/// // trainer
/// sealed class PolicyService : Policy.PolicyBase
/// {
///     public override Task&lt;GenerateResponse&gt; Generate(GenerateRequest request, ServerCallContext context) => ...;
///     public override Task&lt;PolicyInfo&gt; Info(InfoRequest request, ServerCallContext context) => ...;
/// }
/// await using var host = await GrpcServerHost.StartAsync(new GrpcServerHostOptions { Port = 7000 },
///     [Policy.BindService(new PolicyService())]);
/// // executor
/// var policy = new Policy.PolicyClient(GrpcChannel.ForAddress("http://127.0.0.1:7000"));
/// var response = await policy.GenerateAsync(request, deadline: DateTime.UtcNow.AddSeconds(30));
/// </code>
/// </summary>
public static class Policy
{
    public const string ServiceName = "agentops.v1.Policy";

    public static readonly Method<GenerateRequest, GenerateResponse> GenerateMethod = new(
        MethodType.Unary, ServiceName, "Generate",
        Marshallers.ForProtobuf(GenerateRequest.Parser), Marshallers.ForProtobuf(GenerateResponse.Parser));

    public static readonly Method<InfoRequest, PolicyInfo> InfoMethod = new(
        MethodType.Unary, ServiceName, "Info",
        Marshallers.ForProtobuf(InfoRequest.Parser), Marshallers.ForProtobuf(PolicyInfo.Parser));

    public abstract class PolicyBase
    {
        public virtual Task<GenerateResponse> Generate(GenerateRequest request, ServerCallContext context) =>
            throw new RpcException(new Status(StatusCode.Unimplemented, $"{ServiceName}/Generate is not implemented"));

        public virtual Task<PolicyInfo> Info(InfoRequest request, ServerCallContext context) =>
            throw new RpcException(new Status(StatusCode.Unimplemented, $"{ServiceName}/Info is not implemented"));
    }

    public static ServerServiceDefinition BindService(PolicyBase serviceImpl) =>
        ServerServiceDefinition.CreateBuilder()
            .AddMethod(GenerateMethod, (UnaryServerMethod<GenerateRequest, GenerateResponse>)serviceImpl.Generate)
            .AddMethod(InfoMethod, (UnaryServerMethod<InfoRequest, PolicyInfo>)serviceImpl.Info)
            .Build();

    public class PolicyClient(GrpcChannel channel)
    {
        public GrpcChannel Channel { get; } = channel;

        public virtual AsyncUnaryCall<GenerateResponse> GenerateAsync(GenerateRequest request, Metadata? headers = null, DateTime? deadline = null, CancellationToken cancellationToken = default) =>
            GenerateAsync(request, new CallOptions(headers, deadline, cancellationToken));

        public virtual AsyncUnaryCall<GenerateResponse> GenerateAsync(GenerateRequest request, CallOptions options) =>
            Channel.AsyncUnaryCall(GenerateMethod, options, request);

        public virtual AsyncUnaryCall<PolicyInfo> InfoAsync(InfoRequest request, Metadata? headers = null, DateTime? deadline = null, CancellationToken cancellationToken = default) =>
            InfoAsync(request, new CallOptions(headers, deadline, cancellationToken));

        public virtual AsyncUnaryCall<PolicyInfo> InfoAsync(InfoRequest request, CallOptions options) =>
            Channel.AsyncUnaryCall(InfoMethod, options, request);
    }
}

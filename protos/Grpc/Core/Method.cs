namespace AgentOps.Protos.Grpc;

public enum MethodType
{
    Unary,
    ClientStreaming,
    ServerStreaming,
    DuplexStreaming,
}

/// <summary>A method's descriptor (Grpc.Core's <c>Method</c>): its type, names and message marshallers.</summary>
public sealed class Method<TRequest, TResponse>(
    MethodType type, string serviceName, string name,
    Marshaller<TRequest> requestMarshaller, Marshaller<TResponse> responseMarshaller)
{
    public MethodType Type { get; } = type;
    public string ServiceName { get; } = serviceName;
    public string Name { get; } = name;
    public Marshaller<TRequest> RequestMarshaller { get; } = requestMarshaller;
    public Marshaller<TResponse> ResponseMarshaller { get; } = responseMarshaller;

    /// <summary>The HTTP/2 :path, "/package.Service/Method".</summary>
    public string FullName { get; } = "/" + serviceName + "/" + name;
}

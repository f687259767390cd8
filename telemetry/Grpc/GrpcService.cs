using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace AgentOps.Telemetry.Grpc;

/// <summary>One service instance for <see cref="GrpcServerHost"/>: registered as a singleton and mapped with grpc-dotnet's
/// <c>MapGrpcService</c>, with its own options (interceptors, message limits).</summary>
public sealed class GrpcService
{
    private readonly Action<IServiceCollection, IGrpcServerBuilder> _register;
    private readonly Action<IEndpointRouteBuilder> _map;

    private GrpcService(Action<IServiceCollection, IGrpcServerBuilder> register, Action<IEndpointRouteBuilder> map)
    {
        _register = register;
        _map = map;
    }

    /// <param name="instance">Serves every call (grpc-dotnet would otherwise activate one per call).</param>
    /// <param name="configure">Per-service options, e.g. <c>o.Interceptors.Add&lt;BearerTokenInterceptor&gt;(token)</c>.</param>
    public static GrpcService Of<T>(T instance, Action<GrpcServiceOptions<T>>? configure = null) where T : class =>
        new((services, grpc) =>
        {
            services.AddSingleton(instance);
            if (configure is not null) grpc.AddServiceOptions(configure);
        }, endpoints => endpoints.MapGrpcService<T>());

    internal void Register(IServiceCollection services, IGrpcServerBuilder grpc) => _register(services, grpc);

    internal void Map(IEndpointRouteBuilder endpoints) => _map(endpoints);
}

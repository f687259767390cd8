using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace AgentOps.Protos.Grpc;

/// <summary>Maps gRPC services onto ASP.NET Core endpoints (grpc-dotnet's <c>MapGrpcService</c>).</summary>
public static class GrpcEndpointRouteBuilderExtensions
{
    private static readonly ConditionalWeakTable<IEndpointRouteBuilder, object> FallbackMapped = new();

    /// <summary>
    /// One POST endpoint per method at "/package.Service/Method", plus (once per route builder) a catch-all
    /// "/{service}/{method}" that answers UNIMPLEMENTED.
    /// </summary>
    public static IEndpointConventionBuilder MapGrpcService(this IEndpointRouteBuilder endpoints, ServerServiceDefinition service, GrpcServiceOptions? options = null)
    {
        options ??= new GrpcServiceOptions();
        var builders = new List<IEndpointConventionBuilder>();
        foreach (var method in service.Methods)
            builders.Add(endpoints.MapPost(method.Path, http => ServerCall.ProcessAsync(http, method, options)));
        lock (FallbackMapped)
        {
            if (!FallbackMapped.TryGetValue(endpoints, out _))
            {
                FallbackMapped.Add(endpoints, new object());
                builders.Add(endpoints.MapPost("/{service}/{method}", http => ServerCall.ProcessAsync(http, null, options)));
            }
        }
        return new CompositeConventionBuilder(builders);
    }

    private sealed class CompositeConventionBuilder(List<IEndpointConventionBuilder> builders) : IEndpointConventionBuilder
    {
        public void Add(Action<EndpointBuilder> convention)
        {
            foreach (var b in builders) b.Add(convention);
        }

        public void Finally(Action<EndpointBuilder> finallyConvention)
        {
            foreach (var b in builders) b.Finally(finallyConvention);
        }
    }
}

namespace AgentOps.Protos.Api;

/// <summary>One problem in a manifest: the field path (<c>spec.algorithm.groupSize</c>) and what is wrong with the value.</summary>
public sealed record ManifestError(string Path, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}

/// <summary>A manifest that failed to parse or validate; <see cref="Exception.Message"/> lists every error, one a line.</summary>
public sealed class ManifestException(string source, IReadOnlyList<ManifestError> errors)
    : Exception($"{source}: {errors.Count} error(s) in the manifest:{Environment.NewLine}  " +
                string.Join(Environment.NewLine + "  ", errors))
{
    public IReadOnlyList<ManifestError> Errors { get; } = errors;
}

/// <summary>The result of parsing: the value (defaults applied) when there were no errors, plus every error and warning.</summary>
public sealed record ManifestResult<T>(T? Value, IReadOnlyList<ManifestError> Errors, IReadOnlyList<ManifestError> Warnings)
    where T : class
{
    public bool IsValid => Errors.Count == 0 && Value is not null;

    public T GetValueOrThrow(string source) => IsValid ? Value! : throw new ManifestException(source, Errors);
}

using System.Text.Json;

namespace AgentOps.Workers.Environments.Cat;

/// <summary>Loads Code-as-Task tasks from a folder: every `*.json` file is one <see cref="CatTask"/>.</summary>
public sealed class CatTaskFolder(string folder) : IChallenger
{
    public Task<IReadOnlyList<CatTask>> ProposeAsync(Random random, int count, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"spec.environment.settings.tasksDir: folder '{folder}' does not exist");
        var tasks = new List<CatTask>();
        foreach (var file in Directory.GetFiles(folder, "*.json").Order(StringComparer.Ordinal))
        {
            CatTask? task;
            try { task = JsonSerializer.Deserialize<CatTask>(File.ReadAllText(file)); }
            catch (JsonException e) { throw new InvalidDataException($"{file}: not a Code-as-Task JSON file: {e.Message}", e); }
            if (task is null || string.IsNullOrWhiteSpace(task.Id) || string.IsNullOrWhiteSpace(task.Instruction)
                || string.IsNullOrWhiteSpace(task.Verify) || string.IsNullOrWhiteSpace(task.Solution) || task.Failures is null)
                throw new InvalidDataException($"{file}: needs id, instruction, verify, solution and failures");
            tasks.Add(task);
        }
        IReadOnlyList<CatTask> result = count > 0 && count < tasks.Count ? tasks.Take(count).ToList() : tasks;
        return Task.FromResult(result);
    }

    public static void Write(string folder, CatTask task)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, task.Id + ".json"), JsonSerializer.Serialize(task, new JsonSerializerOptions { WriteIndented = true }));
    }
}

using System.Globalization;
using System.Text.RegularExpressions;
using AgentOps.Workers.Sandbox;

namespace AgentOps.Workers.Environments.Tools;

/// <summary>
/// LAM SIMULATOR: task queries from templates with slots; each template's ground truth is computed by a
/// fixed tool sequence in C# over the same <see cref="BusinessWorld"/> the sandbox's `biz` module serves.
/// Tool errors become online feedback ("get_order: missing argument order_id", "unknown tool get_ordr").
/// </summary>
public sealed partial class ToolsEnvironment(BusinessWorld world) : IEnvironment
{
    /// <summary>The functions `biz` exports; a NameError on anything else is reported as an unknown tool.</summary>
    public static readonly string[] ToolNames = ["get_order", "list_orders", "get_customer", "find_customer", "get_product", "list_events"];

    public BusinessWorld World => world;

    public string Name => "tools";

    public EnvTask Generate(Random random, string id)
    {
        var template = random.Next(5);
        var order = world.Orders[random.Next(world.Orders.Count)];
        var customer = world.Customers[random.Next(world.Customers.Count)];
        var date = world.Events[random.Next(world.Events.Count)].Date;
        // Two cells where the tool sequence has two steps (notebook state carries the first result), so each
        // action stays under maxNewTokens (96 bytes by default).
        const string Import = "from biz import *\n";
        var (question, answer, cells) = template switch
        {
            0 => ($"units in stock of the product in order {order.Id}?",
                world.Product(world.Order(order.Id).Sku).Stock.ToString(CultureInfo.InvariantCulture),
                new[] { $"{Import}o=get_order('{order.Id}')\nprint(o['sku'])", "print(get_product(o['sku'])['stock'])" }),
            1 => ($"city of the customer of order {order.Id}?",
                world.Customer(world.Order(order.Id).CustomerId).City,
                new[] { $"{Import}o=get_order('{order.Id}')\nprint(o['customer_id'])", "print(get_customer(o['customer_id'])['city'])" }),
            2 => ($"how many orders has {customer.Name} placed?",
                world.OrdersOf(world.CustomerNamed(customer.Name).Id).Count().ToString(CultureInfo.InvariantCulture),
                new[] { $"{Import}c=find_customer('{customer.Name}')\nprint(c['id'])", "print(len(list_orders(c['id'])))" }),
            3 => ($"how many meetings on {date}?",
                world.EventsOn(date).Count().ToString(CultureInfo.InvariantCulture),
                new[] { $"{Import}print(len(list_events('{date}')))" }),
            _ => ($"total spent by {customer.Name} on shipped orders?",
                world.OrdersOf(world.CustomerNamed(customer.Name).Id, "shipped").Sum(o => o.Total).ToString(CultureInfo.InvariantCulture),
                new[] { $"{Import}c=find_customer('{customer.Name}')\nprint(c['id'])", "print(sum(o['total'] for o in list_orders(c['id'],'shipped')))" }),
        };
        return new EnvTask(id, Name, question, answer, cells,
            Data: new Dictionary<string, string> { ["template"] = template.ToString(CultureInfo.InvariantCulture) });
    }

    public Task<Verdict> VerifyAsync(EnvTask task, string answer, ISandbox sandbox, CancellationToken cancellationToken = default)
    {
        var correct = string.Equals(answer.Trim(), task.ExpectedAnswer, StringComparison.OrdinalIgnoreCase);
        return Task.FromResult(new Verdict(correct ? 1 : 0,
            new Dictionary<string, double> { ["correct"] = correct ? 1 : 0, ["format"] = answer.Trim().Length > 0 ? 1 : 0 },
            correct ? "matches the tool-computed answer" : $"expected '{task.ExpectedAnswer}', got '{answer.Trim()}'"));
    }

    public string? FeedbackFor(CellResult cell)
    {
        if (cell.Error is null) return null;
        var tool = ToolError().Match(cell.Error);
        if (tool.Success) return tool.Groups[1].Value.Trim();
        var name = UnknownName().Match(cell.Error);
        if (name.Success) return $"unknown tool {name.Groups[1].Value}; from biz import {string.Join(", ", ToolNames)}";
        return null;
    }

    [GeneratedRegex(@"ToolError: (.+)")]
    private static partial Regex ToolError();

    [GeneratedRegex(@"NameError: name '(\w+)' is not defined")]
    private static partial Regex UnknownName();
}

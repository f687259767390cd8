using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentOps.Workers.Environments.Tools;

/// <summary>
/// The simulated business behind one `tools` task (LAM SIMULATOR): customers, products, orders and calendar
/// events, generated from the task's own random source, so no two tasks share a world and memorising answers
/// is no use. Held-out tasks get worlds built only from held-out names (<see cref="Names"/>). C# computes ground
/// truth with the same tool functions the sandbox's `biz` module serves (<c>GetOrder</c> is `get_order`, ...);
/// the episode's setup cell loads this world, as JSON, into `biz`.
/// </summary>
public sealed record BusinessWorld(
    [property: JsonPropertyName("customers")] IReadOnlyList<Customer> Customers,
    [property: JsonPropertyName("products")] IReadOnlyList<Product> Products,
    [property: JsonPropertyName("orders")] IReadOnlyList<Order> Orders,
    [property: JsonPropertyName("events")] IReadOnlyList<CalendarEvent> Events)
{
    public static readonly string[] Statuses = ["pending", "shipped", "cancelled"];
    private static readonly string[] Goods = ["lamp", "chair", "kettle", "drill", "scarf", "clock", "mug", "radio", "tent", "bike"];

    public static BusinessWorld Generate(Random random, bool heldOut, int customers = 8, int products = 10, int orders = 20, int events = 12)
    {
        var names = new Names(random, heldOut);
        var cities = Enumerable.Range(0, 4).Select(_ => names.Word(2)).ToList();
        var cs = Enumerable.Range(1, customers)
            .Select(i => new Customer($"C{i}", names.Person(), cities[random.Next(cities.Count)])).ToList();
        var ps = Enumerable.Range(1, products)
            .Select(i => new Product($"P{i}", $"{names.Word(1).ToLowerInvariant()} {Goods[random.Next(Goods.Length)]}",
                random.Next(2, 200), random.Next(0, 500))).ToList();
        var os = Enumerable.Range(1, orders).Select(i =>
        {
            var p = ps[random.Next(ps.Count)];
            var qty = random.Next(1, 10);
            return new Order($"O{i}", cs[random.Next(cs.Count)].Id, p.Sku, qty, Statuses[random.Next(Statuses.Length)], qty * p.Price);
        }).ToList();
        var es = Enumerable.Range(1, events).Select(i =>
            new CalendarEvent($"E{i}", $"2025-03-{random.Next(1, 11):00}", $"meeting {names.Word(1).ToLowerInvariant()}",
                cs[random.Next(cs.Count)].Id)).ToList();
        return new BusinessWorld(cs, ps, os, es);
    }

    /// <summary>Every name in the world (people, cities, products, meetings), for checks that two worlds share none.</summary>
    public IEnumerable<string> Names() =>
        Customers.SelectMany(c => new[] { c.Name, c.City }).Concat(Products.Select(p => p.Name)).Concat(Events.Select(e => e.Title));

    public string ToJson() => JsonSerializer.Serialize(this);

    // The tools, as `biz` defines them.
    public Order GetOrder(string id) => Orders.Single(o => o.Id == id);
    public Customer GetCustomer(string id) => Customers.Single(c => c.Id == id);
    public Customer FindCustomer(string name) => Customers.Single(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));
    public Product GetProduct(string sku) => Products.Single(p => p.Sku == sku);
    public Product FindProduct(string name) => Products.Single(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
    public IReadOnlyList<Order> ListOrders(string customerId, string? status = null) =>
        Orders.Where(o => o.CustomerId == customerId && (status is null || o.Status == status)).ToList();
    public IReadOnlyList<CalendarEvent> ListEvents(string date) => Events.Where(e => e.Date == date).ToList();
}

public sealed record Customer(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("city")] string City);

public sealed record Product(
    [property: JsonPropertyName("sku")] string Sku,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("price")] int Price,
    [property: JsonPropertyName("stock")] int Stock);

public sealed record Order(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("customer_id")] string CustomerId,
    [property: JsonPropertyName("sku")] string Sku,
    [property: JsonPropertyName("qty")] int Qty,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("total")] int Total);

public sealed record CalendarEvent(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("date")] string Date,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("customer_id")] string CustomerId);

using System.Text.Json.Serialization;

namespace AgentOps.Workers.Environments.Tools;

/// <summary>
/// The simulated business behind the `tools` environment (LAM SIMULATOR): customers, products, orders and
/// calendar events, generated from a seed. C# computes ground truth over this object; the same data is
/// written as JSON next to the `biz` Python module the sandbox imports, so both sides see one world.
/// </summary>
public sealed record BusinessWorld(
    [property: JsonPropertyName("customers")] IReadOnlyList<Customer> Customers,
    [property: JsonPropertyName("products")] IReadOnlyList<Product> Products,
    [property: JsonPropertyName("orders")] IReadOnlyList<Order> Orders,
    [property: JsonPropertyName("events")] IReadOnlyList<CalendarEvent> Events)
{
    public static readonly string[] Statuses = ["pending", "shipped", "cancelled"];
    private static readonly string[] Cities = ["Tarnby", "Velmouth", "Oskar", "Brindle", "Quell", "Marrow"];
    private static readonly string[] Goods = ["lamp", "chair", "kettle", "drill", "scarf", "clock", "mug", "radio", "tent", "bike"];

    public static BusinessWorld Generate(Random random, int customers = 20, int products = 30, int orders = 60, int events = 40)
    {
        var names = new Names(random);
        var cs = Enumerable.Range(1, customers)
            .Select(i => new Customer($"C{i}", names.Person(), Cities[random.Next(Cities.Length)])).ToList();
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

    public Order Order(string id) => Orders.Single(o => o.Id == id);
    public Customer Customer(string id) => Customers.Single(c => c.Id == id);
    public Customer CustomerNamed(string name) => Customers.Single(c => c.Name == name);
    public Product Product(string sku) => Products.Single(p => p.Sku == sku);
    public IEnumerable<Order> OrdersOf(string customerId, string? status = null) =>
        Orders.Where(o => o.CustomerId == customerId && (status is null || o.Status == status));
    public IEnumerable<CalendarEvent> EventsOn(string date) => Events.Where(e => e.Date == date);
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

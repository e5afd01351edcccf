using Runner.Cluster.Api;

namespace Runner.Cli.Commands;

/// <summary>`runner token create|list|revoke`: the API's bearer tokens, kept hashed where the coordinator's store is.</summary>
public sealed class TokenCommand : ICommand
{
    public string Name => "token";
    public string Summary => "make, list and revoke API tokens (viewer or operator)";
    public string Description => """
        create --role viewer|operator: prints a new token once; the coordinator's state folder keeps only its hash
        (api-tokens.json, 0600) and a short id; with --store postgresql://..., the store does (table api_tokens), for
        every coordinator on it. Viewers read status, results and the dashboard; operators also submit,
        cancel and resume. Clients pass it as RUNNER_TOKEN (or --token). list: the tokens' ids, roles and dates.
        revoke ID: the token stops working at once, even on a running coordinator. Tokens are required by an API that
        speaks TLS (`runner coordinator --tls`); a client certificate of the cluster works instead.
        """;
    public IReadOnlyList<ArgumentSpec> Arguments => new ArgumentSpec[]
    {
        new("ACTION", "create, list or revoke"), new("ID", "revoke: the token's id (from list)", Required: false),
    };
    public IReadOnlyList<OptionSpec> Options => new OptionSpec[]
    {
        new("role", "ROLE", "create: viewer or operator"),
        new("state", "DIR", "the coordinator's state folder [RUNNER_STATE, default .runner]"),
        StateFolder.StoreOption with { Help = "the coordinators' PostgreSQL store, where their tokens are (shared by a coordinator and its standbys) [RUNNER_STORE]" },
    };

    public int Execute(Arguments args, CliContext context)
    {
        if (args.Positional.Count == 0) throw new UsageException("usage: runner token create --role viewer|operator | runner token list | runner token revoke ID");
        var tokens = ApiTokens.For(StateFolder.Store(args, context));
        switch (args.Positional[0])
        {
            case "create":
                if (args.Positional.Count != 1) throw new UsageException("usage: runner token create --role viewer|operator");
                var role = args.Get("role") switch
                {
                    "viewer" => ApiRole.Viewer,
                    "operator" => ApiRole.Operator,
                    null => throw new UsageException("--role is required: viewer or operator"),
                    var other => throw new UsageException($"--role must be viewer or operator, got '{other}'"),
                };
                var (token, id) = tokens.Create(role);
                context.Out.WriteLine(token);
                context.Error.WriteLine($"made {ApiAccess.Name(role)} token {id}: shown once, keep it (clients read RUNNER_TOKEN)");
                return 0;
            case "list":
                foreach (var e in tokens.List())
                    context.Out.WriteLine($"{e.Id}  {ApiAccess.Name(e.Role),-8}  made {e.Created:yyyy-MM-dd HH:mm} UTC");
                return 0;
            case "revoke":
                if (args.Positional.Count != 2) throw new UsageException("usage: runner token revoke ID");
                if (!tokens.Revoke(args.Positional[1])) throw new BadRequestException($"no token with id '{args.Positional[1]}' (see `runner token list`)");
                context.Out.WriteLine($"revoked token {args.Positional[1]}");
                return 0;
            default:
                throw new UsageException($"unknown action '{args.Positional[0]}': create, list or revoke");
        }
    }
}

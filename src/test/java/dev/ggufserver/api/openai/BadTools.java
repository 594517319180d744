package dev.ggufserver.api.openai;

import java.util.ArrayList;
import java.util.List;

/**
 * Malformed tool use, one request each, with the {@code param} its 400 must name and words its message must hold.
 * Shared by the validator's unit test and the real-engine test. Bodies are written with {@code '} for {@code "} and
 * {@code `} for an escaped quote inside a JSON string, so that they stay readable.
 */
final class BadTools {
    record Case(String body, String param, String words) {
        @Override
        public String toString() {
            return param + " <- " + body;
        }
    }

    static final String USER = "{'role':'user','content':'weather?'}";
    static final String WEATHER = "{'type':'function','function':{'name':'get_weather','description':'Weather',"
            + "'parameters':{'type':'object','properties':{'city':{'type':'string'}},'required':['city']}}}";
    /** An assistant turn that calls get_weather with id call_1. */
    static final String CALL = "{'role':'assistant','content':null,'tool_calls':[{'id':'call_1','type':'function',"
            + "'function':{'name':'get_weather','arguments':'{`city`:`Paris`}'}}]}";
    static final String ANSWER = "{'role':'tool','tool_call_id':'call_1','content':'22 degrees'}";

    private BadTools() {
    }

    /** Readable JSON: ' is ", ` is \". */
    static String json(String readable) {
        return readable.replace("`", "\\\"").replace('\'', '"');
    }

    /** A body with the user message and {@code fields}. */
    private static Case fields(String fields, String param, String words) {
        return new Case(json("{'messages':[" + USER + "]," + fields + "}"), param, words);
    }

    /** A body with these messages and tool_choice none, so that only the messages are at fault. */
    private static Case messages(String messages, String param, String words) {
        return new Case(json("{'messages':[" + messages + "],'tools':[" + WEATHER + "],'tool_choice':'none'}"),
                param, words);
    }

    private static Case tool(String function, String param, String words) {
        return fields("'tools':[{'type':'function','function':" + function + "}],'tool_choice':'none'", param, words);
    }

    /** The calling assistant message with this call in place of the good one. */
    private static Case call(String toolCall, String param, String words) {
        return messages(USER + ",{'role':'assistant','content':null,'tool_calls':[" + toolCall + "]}", param, words);
    }

    static List<Case> cases() {
        String manyTools = "{'type':'function','function':{'name':'f'}},".repeat(128);
        List<Case> cases = new ArrayList<>(List.of(
                fields("'tools':{}", "tools", "tools must be an array"),
                fields("'tools':[5]", "tools[0]", "tools[0] must be an object"),
                fields("'tools':[null]", "tools[0]", "tools[0] must be an object"),
                fields("'tools':[" + manyTools + "{'type':'function','function':{'name':'g'}}]", "tools",
                        "at most 128"),
                fields("'tools':[{'function':{'name':'f'}}]", "tools[0].type", "must be 'function'"),
                fields("'tools':[{'type':'retrieval','function':{'name':'f'}}]", "tools[0].type",
                        "must be 'function'"),
                fields("'tools':[{'type':'function'}]", "tools[0].function", "is required"),
                fields("'tools':[{'type':'function','function':5}]", "tools[0].function",
                        "tools[0].function must be an object"),
                tool("{'description':'no name'}", "tools[0].function.name", "1 to 64 letters"),
                tool("{'name':5}", "tools[0].function.name", "tools[0].function.name must be a string"),
                fields("'tools':[" + WEATHER + ",{'type':'function','function':{'name':'a b'}}],'tool_choice':'none'",
                        "tools[1].function.name", "1 to 64 letters"),
                tool("{'name':'" + "x".repeat(65) + "'}", "tools[0].function.name", "1 to 64 letters"),
                fields("'tools':[" + WEATHER + "," + WEATHER + "],'tool_choice':'none'", "tools[1].function.name",
                        "unique"),
                tool("{'name':'f','description':5}", "tools[0].function.description",
                        "tools[0].function.description must be a string"),
                tool("{'name':'f','strict':'yes'}", "tools[0].function.strict", "must be true or false"),
                tool("{'name':'f','parameters':'object'}", "tools[0].function.parameters",
                        "must be a JSON Schema object"),
                tool("{'name':'f','parameters':[]}", "tools[0].function.parameters", "must be a JSON Schema object"),
                tool("{'name':'f','parameters':{'type':'string'}}", "tools[0].function.parameters.type",
                        "must be 'object'"),
                tool("{'name':'f','parameters':{'type':'object','properties':{'a':{'type':'array',"
                        + "'uniqueItems':true}}}}", "tools[0].function.parameters.properties.a.uniqueItems",
                        "'uniqueItems'"),
                tool("{'name':'f','parameters':{'type':'object','properties':{'a':{'not':{}}}}}",
                        "tools[0].function.parameters.properties.a.not", "'not'"),
                fields("'tools':[" + WEATHER + "],'tool_choice':'sometimes'", "tool_choice", "'sometimes'"),
                fields("'tools':[" + WEATHER + "],'tool_choice':5", "tool_choice", "tool_choice must be 'none'"),
                fields("'tools':[" + WEATHER + "],'tool_choice':{'type':'function'}", "tool_choice.function",
                        "must be an object with a name"),
                fields("'tools':[" + WEATHER + "],'tool_choice':{'type':'tool','function':{'name':'get_weather'}}",
                        "tool_choice.type", "must be 'function'"),
                fields("'tools':[" + WEATHER + "],'tool_choice':{'type':'function','function':{'name':5}}",
                        "tool_choice.function.name", "must be a string"),
                fields("'tools':[" + WEATHER + "],'tool_choice':{'type':'function','function':{'name':'get_time'}}",
                        "tool_choice.function.name", "'get_time', which is not in tools"),
                fields("'tool_choice':'auto'", "tool_choice", "needs tools"),
                fields("'tools':[],'tool_choice':'required'", "tool_choice", "needs tools"),
                fields("'tool_choice':{'type':'function','function':{'name':'f'}}", "tool_choice", "needs tools"),
                fields("'parallel_tool_calls':'yes'", "parallel_tool_calls", "must be true or false"),
                fields("'functions':[{'name':'f'}]", "functions", "use tools"),
                fields("'function_call':'auto'", "function_call", "use tool_choice"),
                messages(USER + ",{'role':'function','name':'f','content':'x'}", "messages[1].role",
                        "use role 'tool'"),
                messages(USER + ",{'role':'user','content':'x','name':'a b'}", "messages[1].name",
                        "1 to 64 letters"),
                messages(USER + "," + CALL + ",{'role':'tool','content':'x'}", "messages[2].tool_call_id",
                        "is required"),
                messages(USER + "," + CALL + ",{'role':'tool','tool_call_id':'call_9','content':'x'}",
                        "messages[2].tool_call_id", "answers no tool call"),
                messages(USER + "," + ANSWER + "," + CALL, "messages[1].tool_call_id", "answers no tool call"),
                messages(USER + "," + CALL + ",{'role':'tool','tool_call_id':'call_1'}", "messages[2].content",
                        "is required"),
                messages("{'role':'user','content':'x','tool_call_id':'call_1'}", "messages[0].tool_call_id",
                        "only tool messages"),
                messages("{'role':'user','content':'x','tool_calls':[{'id':'c','type':'function','function':"
                        + "{'name':'f','arguments':'{}'}}]}", "messages[0].tool_calls", "only assistant messages"),
                call("null", "messages[1].tool_calls[0]", "must be an object"),
                call("{'type':'function','function':{'name':'f','arguments':'{}'}}", "messages[1].tool_calls[0].id",
                        "is required"),
                call("{'id':'<｜tool▁sep｜>','type':'function','function':{'name':'f','arguments':'{}'}}",
                        "messages[1].tool_calls[0].id", "letters, digits"),
                call("{'id':'c','type':'function','function':{'name':'f','arguments':'{}'}},{'id':'c','type':"
                        + "'function','function':{'name':'g','arguments':'{}'}}", "messages[1].tool_calls[1].id",
                        "another call"),
                call("{'id':'c','type':'retrieval','function':{'name':'f','arguments':'{}'}}",
                        "messages[1].tool_calls[0].type", "must be 'function'"),
                call("{'id':'c','type':'function'}", "messages[1].tool_calls[0].function", "is required"),
                call("{'id':'c','type':'function','function':{'arguments':'{}'}}",
                        "messages[1].tool_calls[0].function.name", "is required"),
                call("{'id':'c','type':'function','function':{'name':'f'}}",
                        "messages[1].tool_calls[0].function.arguments", "a string holding a JSON object"),
                call("{'id':'c','type':'function','function':{'name':'f','arguments':{'city':'Paris'}}}",
                        "messages[1].tool_calls[0].function.arguments", "a string holding a JSON object"),
                call("{'id':'c','type':'function','function':{'name':'f','arguments':'city=Paris'}}",
                        "messages[1].tool_calls[0].function.arguments", "a string holding a JSON object"),
                call("{'id':'c','type':'function','function':{'name':'f','arguments':'[1]'}}",
                        "messages[1].tool_calls[0].function.arguments", "a string holding a JSON object"),
                call("{'id':'c','type':'function','function':{'name':'f','arguments':'{} {}'}}",
                        "messages[1].tool_calls[0].function.arguments", "a string holding a JSON object")));
        return cases;
    }
}

// Flash's Java tracer: a small JDI debugger run in a box as
//   java -cp /box/.flash-debug Tracer -- java [OPTIONS] Main [ARGS]
// with its settings in the JSON file named by $FLASH_DEBUG_CONFIG.
//
// - It listens on 127.0.0.1 (the box's loopback; nothing else is reachable),
//   starts the target VM with a JDWP agent that connects back, and traces the
//   classes compiled from the user's file (by their SourceFile attribute):
//   a breakpoint on every line location, method entry and exit (the exit
//   event carries the return value), and exceptions thrown or caught there.
// - The target's stdin and stderr are the box's own; its stdout is a pipe
//   that a thread here copies to the real stdout, counting bytes. A step's
//   stdout_len is the bytes copied plus those waiting in the pipe, read under
//   the same lock (the target's thread is suspended at an event).
// - Values are rendered through JDI, bounded: depth, items, string length.
//   No method of the target is invoked (no toString()); common collections
//   are read from their fields.
// - Output: JSON lines in the trace file, one per step, then one end record.

import com.sun.jdi.*;
import com.sun.jdi.connect.*;
import com.sun.jdi.event.*;
import com.sun.jdi.request.*;

import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import java.util.regex.*;

public class Tracer {
    static final int MAX_DEPTH = 3, MAX_ITEMS = 50, MAX_STR = 200, MAX_FRAMES = 64;

    static String source, sourcePath;
    static long maxSteps, traceBytes, deadline;
    static Writer trace;
    static long steps = 0, bytes = 0;
    static String endReason = null;
    static VirtualMachine vm;
    static Process proc;
    static final Set<ReferenceType> userTypes = new HashSet<>();
    static final Object outLock = new Object();
    static long copied = 0;
    static InputStream targetOut;

    public static void main(String[] args) throws Exception {
        String config = new String(Files.readAllBytes(Paths.get(System.getenv("FLASH_DEBUG_CONFIG"))), StandardCharsets.UTF_8);
        sourcePath = str(config, "source");
        source = Paths.get(sourcePath).getFileName().toString();
        maxSteps = num(config, "max_steps");
        traceBytes = num(config, "trace_bytes");
        deadline = System.nanoTime() + (long) (Double.parseDouble(raw(config, "deadline")) * 1e9);
        // Non-dumpable before anything else: the program runs as the same user,
        // and could otherwise write to this JVM's descriptors and memory through
        // /proc/<pid>. libnodump.so's constructor does it (prctl PR_SET_DUMPABLE).
        System.load(Paths.get(System.getenv("FLASH_DEBUG_CONFIG")).resolveSibling("libnodump.so").toString());
        // The trace goes to a descriptor Flash opened for this process alone: no
        // file of the box leads to it, and the program's JVM, started through
        // ProcessBuilder, inherits no descriptor past stderr.
        trace = new BufferedWriter(new OutputStreamWriter(new FileOutputStream("/proc/self/fd/" + num(config, "trace_fd")), StandardCharsets.UTF_8));
        List<String> command = new ArrayList<>(Arrays.asList(args).subList(1, args.length));
        int code;
        try {
            code = run(command);
        } catch (Throwable t) {
            writeEnd("{\"end\":\"error\",\"message\":" + J.q0(("tracer: " + t).substring(0, Math.min(500, ("tracer: " + t).length()))) + "}");
            if (proc != null) proc.destroyForcibly();
            System.exit(0);
            return;
        }
        System.exit(code);
    }

    // --- config (a flat JSON object written by Flash) ---------------------

    static String raw(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*(\"(?:[^\"\\\\]|\\\\.)*\"|[-0-9.eE+]+)").matcher(json);
        if (!m.find()) throw new IllegalArgumentException("config has no " + key);
        return m.group(1);
    }

    static String str(String json, String key) {
        String v = raw(json, key);
        return v.substring(1, v.length() - 1).replace("\\/", "/").replace("\\\"", "\"").replace("\\\\", "\\");
    }

    static long num(String json, String key) {
        return (long) Double.parseDouble(raw(json, key));
    }

    // --- the target VM --------------------------------------------------------

    static int run(List<String> command) throws Exception {
        ListeningConnector lc = null;
        for (ListeningConnector c : Bootstrap.virtualMachineManager().listeningConnectors()) {
            if (c.name().equals("com.sun.jdi.SocketListen")) lc = c;
        }
        Map<String, Connector.Argument> ca = lc.defaultArguments();
        ca.get("localAddress").setValue("127.0.0.1");
        ca.get("port").setValue("0");
        ca.get("timeout").setValue("20000");
        String address = lc.startListening(ca);
        String port = address.substring(address.lastIndexOf(':') + 1);
        List<String> cmd = new ArrayList<>();
        cmd.add(command.get(0));
        cmd.add("-agentlib:jdwp=transport=dt_socket,server=n,suspend=y,address=127.0.0.1:" + port);
        cmd.addAll(command.subList(1, command.size()));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectInput(ProcessBuilder.Redirect.INHERIT);
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.redirectOutput(ProcessBuilder.Redirect.PIPE);
        proc = pb.start();
        targetOut = proc.getInputStream();
        Thread pump = new Thread(Tracer::pump, "stdout-pump");
        pump.setDaemon(true);
        pump.start();
        vm = lc.accept(ca);
        lc.stopListening(ca);
        EventRequestManager erm = vm.eventRequestManager();
        ClassPrepareRequest cpr = erm.createClassPrepareRequest();
        cpr.addSourceNameFilter(source);
        cpr.setSuspendPolicy(EventRequest.SUSPEND_ALL);
        cpr.enable();
        ExceptionRequest exr = erm.createExceptionRequest(null, true, true);
        exr.setSuspendPolicy(EventRequest.SUSPEND_EVENT_THREAD);
        exr.enable();
        eventLoop();
        if (endReason != null) {
            try {
                vm.exit(1);
            } catch (Exception e) {
                // already gone
            }
            proc.destroyForcibly();
        }
        int code = proc.waitFor();
        pump.join(5000);
        if (endReason != null) {
            writeEnd("{\"end\":" + J.q0(endReason) + "}");
            return 0;
        }
        writeEnd("{\"end\":\"done\",\"exit\":" + code + "}");
        return code;
    }

    static void pump() {
        byte[] buf = new byte[65536];
        OutputStream out = new FileOutputStream(FileDescriptor.out);
        try {
            while (true) {
                int n;
                synchronized (outLock) {
                    int avail = targetOut.available();
                    n = avail > 0 ? targetOut.read(buf, 0, Math.min(avail, buf.length)) : 0;
                    if (n > 0) copied += n;
                }
                if (n > 0) {
                    out.write(buf, 0, n);
                    continue;
                }
                if (!proc.isAlive()) {
                    // Everything left, up to EOF.
                    while ((n = targetOut.read(buf)) > 0) {
                        synchronized (outLock) {
                            copied += n;
                        }
                        out.write(buf, 0, n);
                    }
                    return;
                }
                Thread.sleep(1);
            }
        } catch (Exception e) {
            // The sandbox stopped reading (output limit): nothing more to do.
        }
    }

    static long stdoutLen() {
        synchronized (outLock) {
            try {
                return copied + targetOut.available();
            } catch (IOException e) {
                return copied;
            }
        }
    }

    // --- events -------------------------------------------------------------------

    /** The last line step: its frame (depth, method), line and code index. */
    static int prevDepth = -1;
    static Method prevMethod = null;
    static int prevLine = -1;
    static long prevIndex = -1;

    static void eventLoop() throws Exception {
        EventQueue q = vm.eventQueue();
        while (endReason == null) {
            EventSet set = q.remove();
            boolean dead = false;
            for (Event ev : set) {
                if (endReason != null) break;
                if (ev instanceof ClassPrepareEvent) {
                    prepare(((ClassPrepareEvent) ev).referenceType());
                } else if (ev instanceof MethodEntryEvent) {
                    onEntry((MethodEntryEvent) ev);
                } else if (ev instanceof MethodExitEvent) {
                    onExit((MethodExitEvent) ev);
                } else if (ev instanceof BreakpointEvent) {
                    onLine((BreakpointEvent) ev);
                } else if (ev instanceof ExceptionEvent) {
                    onException((ExceptionEvent) ev);
                } else if (ev instanceof VMDeathEvent || ev instanceof VMDisconnectEvent) {
                    dead = true;
                }
            }
            if (dead) return;
            if (endReason == null) set.resume();
        }
    }

    static void prepare(ReferenceType t) {
        userTypes.add(t);
        EventRequestManager erm = vm.eventRequestManager();
        for (Method m : t.methods()) {
            for (Location loc : lineLocations(m)) {
                BreakpointRequest br = erm.createBreakpointRequest(loc);
                br.setSuspendPolicy(EventRequest.SUSPEND_EVENT_THREAD);
                br.enable();
            }
        }
        MethodEntryRequest en = erm.createMethodEntryRequest();
        en.addClassFilter(t);
        en.setSuspendPolicy(EventRequest.SUSPEND_EVENT_THREAD);
        en.enable();
        MethodExitRequest ex = erm.createMethodExitRequest();
        ex.addClassFilter(t);
        ex.setSuspendPolicy(EventRequest.SUSPEND_EVENT_THREAD);
        ex.enable();
    }

    /** Loop heads that javac gave no line entry of their own (an enhanced for's hasNext). */
    static final Set<Location> loopHeads = new HashSet<>();

    /**
     * Where a method stops: its line entries, except a loop's closing brace (a
     * line that is only the backward jump), plus the loop heads the jump goes
     * to, so a loop shows its header line once per iteration, as in the other languages.
     */
    static List<Location> lineLocations(Method m) {
        List<Location> out = new ArrayList<>();
        List<Location> lines;
        try {
            lines = m.allLineLocations();
        } catch (AbsentInformationException e) {
            return out;
        }
        byte[] code = m.bytecodes();
        Map<Integer, Integer> back = Bytecode.backwardJumps(code);
        Set<Long> starts = new HashSet<>();
        for (Location loc : lines) starts.add(loc.codeIndex());
        for (Location loc : lines) {
            int bci = (int) loc.codeIndex();
            boolean braceOnly = back.containsKey(bci) && sourceLine(loc.lineNumber()).startsWith("}");
            if (!braceOnly) out.add(loc);
        }
        Set<Integer> heads = new HashSet<>();
        for (Map.Entry<Integer, Integer> jump : back.entrySet()) {
            int target = jump.getValue();
            if (starts.contains((long) target) || !heads.add(target)) continue;
            Location head = m.locationOfCodeIndex(target);
            Location from = m.locationOfCodeIndex(jump.getKey());
            // A `for` test after its update on the same line is never a new step: no stop there.
            if (head == null || head.lineNumber() <= 0 || (from != null && from.lineNumber() == head.lineNumber())) continue;
            out.add(head);
            loopHeads.add(head);
        }
        return out;
    }

    static List<String> sourceLines = null;

    static String sourceLine(int line) {
        if (sourceLines == null) {
            try {
                sourceLines = Files.readAllLines(Paths.get(sourcePath), StandardCharsets.UTF_8);
            } catch (Exception e) {
                sourceLines = new ArrayList<>();
            }
        }
        return line >= 1 && line <= sourceLines.size() ? sourceLines.get(line - 1).trim() : "";
    }

    static boolean isUser(Location loc) {
        return userTypes.contains(loc.declaringType());
    }

    static String funcName(Method m) {
        return m.name();
    }

    static void onEntry(MethodEntryEvent ev) throws Exception {
        Method m = ev.method();
        if (m.isNative() || m.location() == null) return;
        J step = stepHead("call", m.location().lineNumber(), funcName(m), ev.thread());
        emit(step);
        prevDepth = -1;
    }

    static void onExit(MethodExitEvent ev) throws Exception {
        Method m = ev.method();
        if (m.isNative()) return;
        ThreadReference th = ev.thread();
        J step = stepHead("return", ev.location().lineNumber(), funcName(m), th);
        if (!m.returnTypeName().equals("void")) {
            step.raw(",\"return_value\":");
            render(step, ev.returnValue(), 0);
        }
        emit(step);
        // The caller goes on in the middle of its line: not a new step.
        if (th.frameCount() > 1) {
            Location caller = th.frame(1).location();
            prevDepth = th.frameCount() - 1;
            prevMethod = caller.method();
            prevLine = caller.lineNumber();
            prevIndex = caller.codeIndex();
        }
    }

    static void onLine(BreakpointEvent ev) throws Exception {
        ThreadReference th = ev.thread();
        Location loc = ev.location();
        int depth = th.frameCount();
        int line = loc.lineNumber();
        boolean sameLine = depth == prevDepth && loc.method().equals(prevMethod) && line == prevLine;
        long index = loc.codeIndex();
        // Further locations of the line just recorded are not new steps; nor is
        // a loop head reached from its own line (a `for` update, then the test).
        if (sameLine && (index > prevIndex || loopHeads.contains(loc))) {
            prevIndex = index;
            return;
        }
        prevDepth = depth;
        prevMethod = loc.method();
        prevLine = line;
        prevIndex = index;
        emit(stepHead("line", line, funcName(loc.method()), th));
    }

    static void onException(ExceptionEvent ev) throws Exception {
        Location at = ev.location();
        Location catcher = ev.catchLocation();
        boolean uncaught = catcher == null;
        if (!isUser(at) && !uncaught && !isUser(catcher)) return;
        ThreadReference th = ev.thread();
        StackFrame user = null;
        for (StackFrame f : th.frames()) {
            if (isUser(f.location())) {
                user = f;
                break;
            }
        }
        if (user == null) return;
        Location loc = user.location();
        J step = stepHead(uncaught ? "uncaught_exception" : "exception", loc.lineNumber(), funcName(loc.method()), th);
        ObjectReference exc = ev.exception();
        step.raw(",\"exception\":{\"type\":").q(exc.referenceType().name());
        String msg = throwableMessage(exc);
        if (msg != null) step.raw(",\"value\":").q(cut(msg));
        step.raw("}");
        emit(step);
    }

    static String throwableMessage(ObjectReference exc) {
        ReferenceType t = exc.referenceType();
        while (t instanceof ClassType) {
            Field f = t.fieldByName("detailMessage");
            if (f != null) {
                Value v = exc.getValue(f);
                return v instanceof StringReference ? ((StringReference) v).value() : null;
            }
            t = ((ClassType) t).superclass();
        }
        return null;
    }

    // --- steps ----------------------------------------------------------------------

    static J stepHead(String event, int line, String func, ThreadReference th) throws Exception {
        J j = new J();
        j.raw("{\"event\":").q(event).raw(",\"line\":").raw(Integer.toString(Math.max(line, 0)));
        j.raw(",\"func\":").q(func).raw(",\"frames\":[");
        boolean first = true;
        int n = 0;
        for (StackFrame f : th.frames()) {
            Location loc = f.location();
            if (!isUser(loc)) continue;
            if (n++ >= MAX_FRAMES) break;
            if (!first) j.raw(",");
            first = false;
            j.raw("{\"func\":").q(funcName(loc.method())).raw(",\"line\":").raw(Integer.toString(Math.max(loc.lineNumber(), 0)));
            j.raw(",\"locals\":[");
            locals(j, f);
            j.raw("]}");
        }
        j.raw("]");
        return j;
    }

    static void locals(J j, StackFrame f) {
        int n = 0;
        try {
            ObjectReference self = f.thisObject();
            if (self != null) {
                j.raw("{\"name\":\"this\",");
                renderBody(j, self, 0);
                j.raw("}");
                n++;
            }
            List<LocalVariable> vars = f.visibleVariables();
            Map<LocalVariable, Value> values = f.getValues(vars);
            for (LocalVariable v : vars) {
                if (n >= MAX_ITEMS) break;
                if (n++ > 0) j.raw(",");
                j.raw("{\"name\":").q(v.name()).raw(",");
                renderBody(j, values.get(v), 0);
                j.raw("}");
            }
        } catch (AbsentInformationException e) {
            // no local variable table
        }
    }

    static void emit(J step) throws IOException {
        if (steps >= maxSteps) {
            endReason = "step_limit";
            return;
        }
        if (System.nanoTime() > deadline) {
            endReason = "time_limit";
            return;
        }
        step.raw(",\"stdout_len\":").raw(Long.toString(stdoutLen())).raw("}\n");
        String data = step.toString();
        long size = data.getBytes(StandardCharsets.UTF_8).length;
        if (bytes + size > traceBytes) {
            endReason = "trace_size_limit";
            return;
        }
        trace.write(data);
        trace.flush();
        bytes += size;
        steps++;
    }

    static void writeEnd(String record) {
        try {
            trace.write(record + "\n");
            trace.flush();
        } catch (IOException e) {
            // nowhere left to report it
        }
    }

    // --- values -------------------------------------------------------------------------

    static String cut(String s) {
        return s.length() > MAX_STR ? s.substring(0, MAX_STR) : s;
    }

    static void render(J j, Value v, int depth) {
        j.raw("{");
        renderBody(j, v, depth);
        j.raw("}");
    }

    /** The members of a value object, without the braces. */
    static void renderBody(J j, Value v, int depth) {
        try {
            renderInner(j, v, depth);
        } catch (Exception e) { // collected, unreadable, an unexpected layout
            j.raw("\"type\":\"?\",\"value\":\"<unavailable>\"");
        }
    }

    static final Set<String> BOXES = new HashSet<>(Arrays.asList("java.lang.Integer", "java.lang.Long", "java.lang.Short",
            "java.lang.Byte", "java.lang.Character", "java.lang.Boolean", "java.lang.Double", "java.lang.Float"));

    static void renderInner(J j, Value v, int depth) throws Exception {
        if (v == null) {
            j.raw("\"type\":\"null\",\"value\":\"null\"");
            return;
        }
        String type = v.type().name();
        if (v instanceof PrimitiveValue) {
            j.raw("\"type\":").q(type).raw(",\"value\":").q(v.toString());
            return;
        }
        if (v instanceof StringReference) {
            String s = ((StringReference) v).value();
            j.raw("\"type\":\"String\",\"value\":").q(cut(s));
            if (s.length() > MAX_STR) j.raw(",\"len\":").raw(Integer.toString(s.length()));
            return;
        }
        if (v instanceof ArrayReference) {
            ArrayReference a = (ArrayReference) v;
            int len = a.length();
            items(j, simpleName(type), len > 0 ? a.getValues(0, Math.min(len, MAX_ITEMS)) : Collections.emptyList(), len, depth);
            return;
        }
        ObjectReference o = (ObjectReference) v;
        String simple = simpleName(type);
        if (BOXES.contains(type)) {
            j.raw("\"type\":").q(simple).raw(",\"value\":").q(String.valueOf(field(o, "value")));
            return;
        }
        if (depth >= MAX_DEPTH) {
            j.raw("\"type\":").q(simple).raw(",\"value\":\"...\"");
            return;
        }
        switch (type) {
            case "java.util.ArrayList":
            case "java.util.Vector": {
                int size = ((IntegerValue) field(o, "size", "elementCount")).value();
                ArrayReference data = (ArrayReference) field(o, "elementData");
                items(j, simple, size > 0 ? data.getValues(0, Math.min(size, MAX_ITEMS)) : Collections.emptyList(), size, depth);
                return;
            }
            case "java.util.LinkedList": {
                int size = ((IntegerValue) field(o, "size")).value();
                List<Value> out = new ArrayList<>();
                ObjectReference node = (ObjectReference) field(o, "first");
                while (node != null && out.size() < MAX_ITEMS) {
                    out.add(field(node, "item"));
                    node = (ObjectReference) field(node, "next");
                }
                items(j, simple, out, size, depth);
                return;
            }
            case "java.util.HashMap":
            case "java.util.LinkedHashMap":
            case "java.util.TreeMap":
                entries(j, simple, o, depth);
                return;
            case "java.util.HashSet":
            case "java.util.LinkedHashSet":
            case "java.util.TreeSet": {
                ObjectReference map = (ObjectReference) field(o, "map", "m");
                List<Value[]> es = mapEntries(map);
                List<Value> keys = new ArrayList<>();
                for (Value[] e : es) keys.add(e[0]);
                items(j, simple, keys, mapSize(map), depth);
                return;
            }
            default:
                break;
        }
        j.raw("\"type\":").q(simple).raw(",\"fields\":[");
        int n = 0;
        List<Field> fields = new ArrayList<>();
        for (Field f : o.referenceType().allFields()) {
            if (!f.isStatic()) fields.add(f);
        }
        for (Field f : fields) {
            if (n >= MAX_ITEMS) break;
            if (n++ > 0) j.raw(",");
            j.raw("{\"name\":").q(f.name()).raw(",");
            renderBody(j, o.getValue(f), depth + 1);
            j.raw("}");
        }
        j.raw("]");
        if (fields.size() > MAX_ITEMS) j.raw(",\"len\":").raw(Integer.toString(fields.size()));
    }

    static String simpleName(String type) {
        int dot = type.lastIndexOf('.');
        return dot >= 0 ? type.substring(dot + 1) : type;
    }

    static Value field(ObjectReference o, String... names) {
        for (String name : names) {
            Field f = o.referenceType().fieldByName(name);
            if (f != null) return o.getValue(f);
        }
        throw new IllegalStateException("no field " + names[0]);
    }

    static void items(J j, String type, List<? extends Value> vals, int len, int depth) {
        j.raw("\"type\":").q(type);
        if (depth >= MAX_DEPTH) {
            j.raw(",\"value\":\"...\",\"len\":").raw(Integer.toString(len));
            return;
        }
        j.raw(",\"items\":[");
        int n = 0;
        for (Value v : vals) {
            if (n >= MAX_ITEMS) break;
            if (n++ > 0) j.raw(",");
            render(j, v, depth + 1);
        }
        j.raw("]");
        if (len > n) j.raw(",\"len\":").raw(Integer.toString(len));
    }

    static int mapSize(ObjectReference map) {
        Value s = field(map, "size");
        return s instanceof IntegerValue ? ((IntegerValue) s).value() : 0;
    }

    /** Up to MAX_ITEMS key/value pairs of a HashMap, LinkedHashMap or TreeMap, in its iteration order. */
    static List<Value[]> mapEntries(ObjectReference map) {
        List<Value[]> out = new ArrayList<>();
        String type = map.referenceType().name();
        if (type.equals("java.util.LinkedHashMap")) {
            ObjectReference e = (ObjectReference) field(map, "head");
            while (e != null && out.size() < MAX_ITEMS) {
                out.add(new Value[] {field(e, "key"), field(e, "value")});
                e = (ObjectReference) field(e, "after");
            }
        } else if (type.equals("java.util.TreeMap")) {
            Deque<ObjectReference> stack = new ArrayDeque<>();
            ObjectReference e = (ObjectReference) field(map, "root");
            while ((e != null || !stack.isEmpty()) && out.size() < MAX_ITEMS) {
                while (e != null) {
                    stack.push(e);
                    e = (ObjectReference) field(e, "left");
                }
                e = stack.pop();
                out.add(new Value[] {field(e, "key"), field(e, "value")});
                e = (ObjectReference) field(e, "right");
            }
        } else {
            ArrayReference table = (ArrayReference) field(map, "table");
            if (table == null) return out;
            int len = table.length();
            for (int i = 0; i < len && out.size() < MAX_ITEMS; i += 64) {
                for (Value b : table.getValues(i, Math.min(64, len - i))) {
                    ObjectReference e = (ObjectReference) b;
                    while (e != null && out.size() < MAX_ITEMS) {
                        out.add(new Value[] {field(e, "key"), field(e, "value")});
                        e = (ObjectReference) field(e, "next");
                    }
                }
            }
        }
        return out;
    }

    static void entries(J j, String type, ObjectReference map, int depth) {
        int size = mapSize(map);
        j.raw("\"type\":").q(type).raw(",\"entries\":[");
        int n = 0;
        for (Value[] e : mapEntries(map)) {
            if (n++ > 0) j.raw(",");
            j.raw("{\"key\":");
            render(j, e[0], depth + 1);
            j.raw(",\"value\":");
            render(j, e[1], depth + 1);
            j.raw("}");
        }
        j.raw("]");
        if (size > n) j.raw(",\"len\":").raw(Integer.toString(size));
    }

    /** Just enough of the JVM instruction set to find backward jumps. */
    static final class Bytecode {
        /** Backward jumps: the jump's index -> its target. */
        static Map<Integer, Integer> backwardJumps(byte[] code) {
            Map<Integer, Integer> out = new HashMap<>();
            int pc = 0;
            while (pc < code.length) {
                int op = code[pc] & 0xff;
                int target = -1;
                if ((op >= 0x99 && op <= 0xa8) || op == 0xc6 || op == 0xc7) {
                    target = pc + (short) (((code[pc + 1] & 0xff) << 8) | (code[pc + 2] & 0xff));
                } else if (op == 0xc8 || op == 0xc9) {
                    target = pc + readInt(code, pc + 1);
                }
                if (target >= 0 && target < pc) out.put(pc, target);
                int len = length(code, pc);
                if (len <= 0) break;
                pc += len;
            }
            return out;
        }

        static int readInt(byte[] c, int i) {
            return ((c[i] & 0xff) << 24) | ((c[i + 1] & 0xff) << 16) | ((c[i + 2] & 0xff) << 8) | (c[i + 3] & 0xff);
        }

        static int length(byte[] c, int pc) {
            int op = c[pc] & 0xff;
            switch (op) {
                case 0x10: case 0x12: case 0x15: case 0x16: case 0x17: case 0x18: case 0x19:
                case 0x36: case 0x37: case 0x38: case 0x39: case 0x3a: case 0xa9: case 0xbc:
                    return 2;
                case 0x11: case 0x13: case 0x14: case 0x84: case 0xa7: case 0xa8: case 0xb2: case 0xb3:
                case 0xb4: case 0xb5: case 0xb6: case 0xb7: case 0xb8: case 0xbb: case 0xbd: case 0xc0:
                case 0xc1: case 0xc6: case 0xc7:
                    return 3;
                case 0xc5:
                    return 4;
                case 0xb9: case 0xba: case 0xc8: case 0xc9:
                    return 5;
                case 0xc4:
                    return (c[pc + 1] & 0xff) == 0x84 ? 6 : 4;
                case 0xaa: {
                    int p = (pc + 4) & ~3;
                    int lo = readInt(c, p + 4), hi = readInt(c, p + 8);
                    return p + 12 + 4 * (hi - lo + 1) - pc;
                }
                case 0xab: {
                    int p = (pc + 4) & ~3;
                    return p + 8 + 8 * readInt(c, p + 4) - pc;
                }
                default:
                    return op >= 0x99 && op <= 0xa6 ? 3 : 1;
            }
        }
    }

    /** A tiny JSON writer. */
    static final class J {
        final StringBuilder sb = new StringBuilder(256);

        J raw(String s) {
            sb.append(s);
            return this;
        }

        J q(String s) {
            sb.append(q0(s));
            return this;
        }

        static String q0(String s) {
            StringBuilder b = new StringBuilder(s.length() + 2).append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '"' || c == '\\') {
                    b.append('\\').append(c);
                } else if (c < 0x20 || Character.isSurrogate(c)) {
                    if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                        b.append(c).append(s.charAt(++i));
                    } else if (Character.isSurrogate(c)) {
                        b.append("\\ufffd");
                    } else {
                        b.append(String.format("\\u%04x", (int) c));
                    }
                } else {
                    b.append(c);
                }
            }
            return b.append('"').toString();
        }

        @Override
        public String toString() {
            return sb.toString();
        }
    }
}

// The chat page of gguf-server: plain JavaScript, no build step. It talks to /v1/chat/completions like any
// other OpenAI client (streaming), keeps conversations and settings in localStorage, renders answers as
// sanitised markdown, and shows the model's thinking apart from its answer.
'use strict';

(() => {
  const KEYS = {
    conversations: 'gguf-server.conversations',
    current: 'gguf-server.current',
    settings: 'gguf-server.settings',
  };
  const DEFAULT_SETTINGS = { systemPrompt: '', temperature: 0.6, maxTokens: '', apiKey: '', thinking: 'unlimited' };
  /** The thinking control's choices as the API's reasoning_effort (the server maps them to thinking budgets). */
  const REASONING_EFFORT = { off: 'none', low: 'low', medium: 'medium', high: 'high', unlimited: 'max' };
  const $ = (id) => document.getElementById(id);

  // ---------------------------------------------------------------- state and storage

  const load = (key, fallback) => {
    try {
      const value = localStorage.getItem(key);
      return value ? JSON.parse(value) : fallback;
    } catch (e) {
      return fallback;
    }
  };
  const save = (key, value) => {
    try {
      localStorage.setItem(key, JSON.stringify(value));
    } catch (e) {
      setStatus('unreachable', 'Could not save in this browser: ' + e.message);
    }
  };

  /** [{id, title, updatedAt, messages: [{role, content, reasoning, thinkingMs, stats, error, stopped}]}] */
  let conversations = load(KEYS.conversations, []);
  let currentId = load(KEYS.current, null);
  let settings = Object.assign({}, DEFAULT_SETTINGS, load(KEYS.settings, {}));
  let modelId = 'default';
  /** The served models, from /v1/models: {id, status} (status: loading, ready, failed). */
  let models = [];
  /** The request in flight: {controller, conversation, reply}. */
  let active = null;

  const persist = () => {
    save(KEYS.conversations, conversations);
    save(KEYS.current, currentId);
  };
  const currentConversation = () => conversations.find((c) => c.id === currentId) || null;
  const newId = () => Date.now().toString(36) + Math.random().toString(36).slice(2, 8);

  // ---------------------------------------------------------------- server status

  const setStatus = (kind, text) => {
    const status = $('status');
    status.className = 'status ' + kind;
    status.textContent = text;
  };

  let healthTimer = null;
  const checkHealth = async () => {
    clearTimeout(healthTimer);
    try {
      const res = await fetch('/health', { headers: authHeaders() });
      if (res.ok) {
        const listed = await fetch('/v1/models', { headers: authHeaders() });
        if (listed.ok) {
          const list = await listed.json();
          // embedding models serve /v1/embeddings only: they are not offered for chat
          const chats = (list.data || []).filter((m) => !(m.meta && m.meta.capabilities
              && m.meta.capabilities.includes('embeddings')));
          modelId = (chats[0] && chats[0].id) || modelId;
          servedModels(chats.map((m) => ({ id: m.id, status: (m.meta && m.meta.status) || 'ready' })));
        }
        setStatus('ready', 'Ready · ' + selectedModel());
        if (models.some((m) => m.status === 'loading')) {
          healthTimer = setTimeout(checkHealth, 2000); // show when the others are ready
        }
        return;
      }
      setStatus('loading', res.status === 503 ? 'Model loading…' : await errorText(res));
      healthTimer = setTimeout(checkHealth, 2000);
    } catch (e) {
      setStatus('unreachable', 'Server unreachable');
      healthTimer = setTimeout(checkHealth, 5000);
    }
  };

  const servedModels = (list) => {
    models = list;
    renderModelPicker();
  };

  /** The conversation's model if it is still served, else the one last chosen, else the server's default. */
  const selectedModel = () => {
    const served = (id) => id && models.some((m) => m.id === id);
    const conversation = currentConversation();
    if (conversation && served(conversation.model)) {
      return conversation.model;
    }
    return served(settings.model) ? settings.model : modelId;
  };

  /** A choice of model only when the server serves several; a model that is not ready says so. */
  const renderModelPicker = () => {
    const picker = $('model');
    picker.hidden = models.length < 2;
    picker.replaceChildren(...models.map((m) => {
      const option = document.createElement('option');
      option.value = m.id;
      const note = { loading: 'loading…', unloaded: 'not loaded', failed: 'failed to load' }[m.status];
      option.textContent = m.id + (note ? ' (' + note + ')' : '');
      return option;
    }));
    picker.value = selectedModel();
  };

  const authHeaders = () => (settings.apiKey ? { Authorization: 'Bearer ' + settings.apiKey } : {});

  /** The message of an OpenAI-shaped error body, or the HTTP status. */
  const errorText = async (res) => {
    try {
      const body = await res.json();
      if (body && body.error && body.error.message) {
        return body.error.message;
      }
    } catch (e) {
      // not JSON
    }
    return 'HTTP ' + res.status;
  };

  // ---------------------------------------------------------------- rendering

  const sanitize = (html) => (window.DOMPurify ? window.DOMPurify.sanitize(html) : '');

  /** Markdown with its LaTeX rendered by KaTeX (math.js), sanitised as a whole, code highlighted. */
  const renderMarkdown = (element, text) => {
    const math = window.ggufMath.protect(text);
    const html = window.marked ? window.marked.parse(math.markdown, { gfm: true }) : math.markdown;
    element.innerHTML = sanitize(math.restore(html));
    element.querySelectorAll('pre code').forEach((code) => {
      if (window.hljs) {
        window.hljs.highlightElement(code);
      }
      const pre = code.parentElement;
      const copy = document.createElement('button');
      copy.type = 'button';
      copy.className = 'copy-code';
      copy.textContent = 'Copy';
      copy.setAttribute('aria-label', 'Copy code');
      copy.addEventListener('click', async () => {
        try {
          await navigator.clipboard.writeText(code.textContent);
          copy.textContent = 'Copied';
        } catch (e) {
          copy.textContent = 'Copy failed';
        }
        setTimeout(() => { copy.textContent = 'Copy'; }, 1500);
      });
      pre.appendChild(copy);
    });
  };

  const formatSeconds = (ms) => {
    const s = ms / 1000;
    return (s < 10 ? s.toFixed(1) : Math.round(s)) + ' s';
  };

  const statsText = (stats) => {
    if (!stats) {
      return '';
    }
    const parts = [stats.tokens + ' tokens'];
    if (stats.tokensPerSecond) {
      parts.push(stats.tokensPerSecond.toFixed(1) + ' tokens/s');
    }
    if (stats.firstTokenMs != null) {
      parts.push('first token ' + Math.round(stats.firstTokenMs) + ' ms');
    }
    return parts.join(' · ');
  };

  const actionButton = (label, onClick) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'link';
    button.textContent = label;
    button.addEventListener('click', onClick);
    return button;
  };

  /** Fills a message element from its message; used while streaming and for whole re-renders. */
  const updateMessageElement = (element, message, isLast) => {
    const streaming = active && active.reply === message;
    const thinking = element.querySelector('.thinking');
    if (message.reasoning) {
      thinking.hidden = false;
      window.ggufMath.renderText(element.querySelector('.thinking-text'), message.reasoning, sanitize);
      const summary = thinking.querySelector('summary');
      if (streaming && !message.content) {
        summary.textContent = 'Thinking…';
        if (!element.dataset.opened) { // open once; the reader may close it while it streams
          thinking.open = true;
          element.dataset.opened = 'yes';
        }
      } else {
        const took = message.thinkingMs != null ? 'Thought for ' + formatSeconds(message.thinkingMs) : 'Thoughts';
        summary.textContent = took + (message.stopped && !message.content ? ' (stopped)' : '');
        if (!element.dataset.settled) { // collapse once the answer starts; a thought with no answer stays open
          thinking.open = !message.content && !message.stopped && !streaming;
          element.dataset.settled = 'yes';
        }
      }
    } else {
      thinking.hidden = true;
    }
    const content = element.querySelector('.content');
    if (message.role === 'assistant') {
      renderMarkdown(content, message.content || '');
    } else {
      content.textContent = message.content;
    }
    const error = element.querySelector('.error');
    error.hidden = !message.error;
    error.textContent = message.error || '';
    const stopped = message.stopped ? 'Stopped' + (message.stats ? ' · ' : '') : '';
    element.querySelector('.stats').textContent = stopped + statsText(message.stats);
    const actions = element.querySelector('.actions');
    actions.replaceChildren();
    if (isLast && !active && message.role === 'assistant') {
      actions.appendChild(actionButton('Regenerate', regenerate));
    }
    if (!active && message.role === 'user' && isLastUserMessage(message)) {
      actions.appendChild(actionButton('Edit', () => editLastUserMessage(message)));
    }
    element.setAttribute('aria-busy', streaming ? 'true' : 'false');
  };

  const isLastUserMessage = (message) => {
    const conversation = currentConversation();
    if (!conversation) {
      return false;
    }
    const users = conversation.messages.filter((m) => m.role === 'user');
    return users[users.length - 1] === message;
  };

  const messageElements = new Map();

  const renderConversation = () => {
    const conversation = currentConversation();
    const list = $('messages');
    messageElements.clear();
    list.replaceChildren();
    $('chat-title').textContent = conversation ? conversation.title : 'New chat';
    if (!conversation || conversation.messages.length === 0) {
      const empty = document.createElement('p');
      empty.className = 'empty';
      empty.id = 'empty';
      empty.textContent = 'Ask anything. Enter sends, Shift+Enter adds a line.';
      list.appendChild(empty);
      return;
    }
    conversation.messages.forEach((message, i) => {
      const element = $('message-template').content.firstElementChild.cloneNode(true);
      element.classList.add(message.role);
      element.querySelector('.role').textContent = message.role === 'user' ? 'You' : 'Assistant';
      messageElements.set(message, element);
      updateMessageElement(element, message, i === conversation.messages.length - 1);
      list.appendChild(element);
    });
    list.scrollTop = list.scrollHeight;
  };

  let renderPending = false;
  const scheduleStreamRender = (message) => {
    if (renderPending) {
      return;
    }
    renderPending = true;
    requestAnimationFrame(() => {
      renderPending = false;
      const element = messageElements.get(message);
      if (element) {
        updateMessageElement(element, message, true);
        const list = $('messages');
        list.scrollTop = list.scrollHeight;
      }
    });
  };

  const renderSidebar = () => {
    const list = $('conversations');
    list.replaceChildren();
    [...conversations].sort((a, b) => b.updatedAt - a.updatedAt).forEach((conversation) => {
      const item = document.createElement('li');
      if (conversation.id === currentId) {
        item.className = 'current';
        item.setAttribute('aria-current', 'true');
      }
      const open = document.createElement('button');
      open.type = 'button';
      open.className = 'open-chat';
      open.textContent = conversation.title;
      open.title = conversation.title;
      open.addEventListener('click', () => switchTo(conversation.id));
      const rename = document.createElement('button');
      rename.type = 'button';
      rename.className = 'small rename';
      rename.textContent = '✎';
      rename.setAttribute('aria-label', 'Rename "' + conversation.title + '"');
      rename.addEventListener('click', () => renameConversation(conversation));
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'small delete';
      remove.textContent = '✕';
      remove.setAttribute('aria-label', 'Delete "' + conversation.title + '"');
      remove.addEventListener('click', () => deleteConversation(conversation));
      item.append(open, rename, remove);
      list.appendChild(item);
    });
  };

  const renderAll = () => {
    renderSidebar();
    renderConversation();
    renderModelPicker();
  };

  // ---------------------------------------------------------------- conversations

  const switchTo = (id) => {
    if (active) {
      stop();
    }
    currentId = id;
    persist();
    renderAll();
    closeSidebarOnSmallScreens();
    $('input').focus();
  };

  const renameConversation = (conversation) => {
    const title = window.prompt('Rename conversation', conversation.title);
    if (title && title.trim()) {
      conversation.title = title.trim().slice(0, 120);
      persist();
      renderAll();
    }
  };

  const deleteConversation = (conversation) => {
    if (!window.confirm('Delete "' + conversation.title + '"?')) {
      return;
    }
    if (active && active.conversation === conversation) {
      stop();
    }
    conversations = conversations.filter((c) => c !== conversation);
    if (currentId === conversation.id) {
      currentId = null;
    }
    persist();
    renderAll();
  };

  const startNewChat = () => {
    if (active) {
      stop();
    }
    currentId = null;
    persist();
    renderAll();
    closeSidebarOnSmallScreens();
    $('input').focus();
  };

  // ---------------------------------------------------------------- generation

  /** What the server gets: the system prompt, then each turn's text; earlier thinking is never sent back. */
  const requestMessages = (conversation, upTo) => {
    const messages = [];
    if (settings.systemPrompt.trim()) {
      messages.push({ role: 'system', content: settings.systemPrompt });
    }
    for (const m of conversation.messages.slice(0, upTo)) {
      if (m.role === 'user' || (m.role === 'assistant' && m.content)) {
        messages.push({ role: m.role, content: m.content });
      }
    }
    return messages;
  };

  const send = (text) => {
    let conversation = currentConversation();
    if (!conversation) {
      conversation = { id: newId(), title: text.trim().slice(0, 60) || 'New chat', updatedAt: Date.now(), messages: [],
        model: selectedModel() };
      conversations.push(conversation);
      currentId = conversation.id;
    }
    conversation.messages.push({ role: 'user', content: text });
    generate(conversation);
  };

  const regenerate = () => {
    const conversation = currentConversation();
    if (!conversation || active) {
      return;
    }
    const last = conversation.messages[conversation.messages.length - 1];
    if (last && last.role === 'assistant') {
      conversation.messages.pop();
    }
    generate(conversation);
  };

  const editLastUserMessage = (message) => {
    const conversation = currentConversation();
    if (!conversation || active) {
      return;
    }
    const index = conversation.messages.lastIndexOf(message);
    conversation.messages.splice(index); // the message and the answer to it
    persist();
    renderAll();
    const input = $('input');
    input.value = message.content;
    input.focus();
  };

  const generate = async (conversation) => {
    const reply = { role: 'assistant', content: '', reasoning: '' };
    const history = requestMessages(conversation, conversation.messages.length);
    conversation.messages.push(reply);
    conversation.updatedAt = Date.now();
    const controller = new AbortController();
    active = { controller, conversation, reply };
    persist();
    setGenerating(true);
    renderAll();

    const body = { model: conversation.model || selectedModel(), messages: history, stream: true,
      stream_options: { include_usage: true } };
    if (settings.temperature !== '' && settings.temperature != null) {
      body.temperature = Number(settings.temperature);
    }
    if (settings.maxTokens) {
      body.max_tokens = Number(settings.maxTokens);
    }
    body.reasoning_effort = REASONING_EFFORT[settings.thinking] || 'max';
    const started = performance.now();
    let firstToken = null;
    let usage = null;
    try {
      const res = await fetch('/v1/chat/completions', {
        method: 'POST',
        headers: Object.assign({ 'Content-Type': 'application/json' }, authHeaders()),
        body: JSON.stringify(body),
        signal: controller.signal,
      });
      if (!res.ok) {
        reply.error = await errorText(res);
        if (res.status === 503) {
          checkHealth();
        }
        return;
      }
      await readEvents(res.body, (event) => {
        if (event.error) {
          reply.error = event.error.message || 'The server reported an error.';
          return;
        }
        if (event.usage) {
          usage = event.usage;
        }
        if (event.id && !active.completionId) {
          active.completionId = event.id; // what "Answer now" names
        }
        const choice = event.choices && event.choices[0];
        const delta = choice && choice.delta;
        if (!delta) {
          return;
        }
        const now = performance.now();
        if (delta.reasoning_content) {
          firstToken = firstToken == null ? now : firstToken;
          reply.reasoning += delta.reasoning_content;
        }
        if (delta.content) {
          firstToken = firstToken == null ? now : firstToken;
          if (!reply.content && reply.reasoning) {
            reply.thinkingMs = now - started;
          }
          reply.content += delta.content;
        }
        $('answer-now').hidden = !(reply.reasoning && !reply.content);
        scheduleStreamRender(reply);
      });
    } catch (e) {
      if (e.name === 'AbortError') {
        reply.stopped = true;
      } else {
        reply.error = 'The server is unreachable (' + e.message + ').';
        checkHealth();
      }
    } finally {
      const ended = performance.now();
      if (reply.reasoning && reply.thinkingMs == null) {
        reply.thinkingMs = ended - started;
      }
      if (usage) {
        const decodeSeconds = firstToken != null ? (ended - firstToken) / 1000 : 0;
        reply.stats = {
          tokens: usage.completion_tokens,
          tokensPerSecond: decodeSeconds > 0 && usage.completion_tokens > 1
            ? (usage.completion_tokens - 1) / decodeSeconds : null,
          firstTokenMs: firstToken != null ? firstToken - started : null,
        };
      }
      active = null;
      conversation.updatedAt = Date.now();
      persist();
      setGenerating(false);
      if (currentId === conversation.id) {
        renderAll();
      } else {
        renderSidebar();
      }
    }
  };

  /** Reads server-sent events and calls back with each data payload as JSON; comments (: ping) are skipped. */
  const readEvents = async (stream, onEvent) => {
    const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        break;
      }
      buffer += value;
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline).replace(/\r$/, '');
        buffer = buffer.slice(newline + 1);
        if (!line.startsWith('data:')) {
          continue;
        }
        const data = line.slice(5).trim();
        if (data === '[DONE]') {
          return;
        }
        try {
          onEvent(JSON.parse(data));
        } catch (e) {
          // an unparseable event is skipped rather than ending the answer
        }
      }
    }
  };

  const stop = () => {
    if (active) {
      active.controller.abort();
    }
  };

  /** Ends the running answer's thinking at once: the model answers with what it has thought so far. */
  const answerNow = async () => {
    if (!active || !active.completionId) {
      return;
    }
    $('answer-now').hidden = true;
    try {
      await fetch('/v1/chat/completions/control', {
        method: 'POST',
        headers: Object.assign({ 'Content-Type': 'application/json' }, authHeaders()),
        body: JSON.stringify({ id: active.completionId, action: 'reasoning_end' }),
      });
    } catch (e) {
      // the stream itself reports a server that went away
    }
  };

  const setGenerating = (generating) => {
    $('answer-now').hidden = true;
    $('stop').hidden = !generating;
    $('send').hidden = generating;
  };

  // ---------------------------------------------------------------- settings

  const openSettings = () => {
    $('system-prompt').value = settings.systemPrompt;
    $('temperature').value = settings.temperature;
    $('temperature-value').textContent = Number(settings.temperature).toFixed(2);
    $('max-tokens').value = settings.maxTokens;
    $('api-key').value = settings.apiKey;
    $('settings').showModal();
  };

  const saveSettings = () => {
    const maxTokens = $('max-tokens').value.trim();
    settings = {
      thinking: settings.thinking,
      model: settings.model,
      systemPrompt: $('system-prompt').value,
      temperature: Number($('temperature').value),
      maxTokens: maxTokens && Number(maxTokens) >= 1 ? String(Math.floor(Number(maxTokens))) : '',
      apiKey: $('api-key').value.trim(),
    };
    save(KEYS.settings, settings);
    checkHealth();
  };

  // ---------------------------------------------------------------- wiring

  const closeSidebarOnSmallScreens = () => {
    $('sidebar').classList.remove('open');
    $('toggle-sidebar').setAttribute('aria-expanded', 'false');
  };

  const start = () => {
    $('composer').addEventListener('submit', (event) => {
      event.preventDefault();
      const input = $('input');
      const text = input.value;
      if (!text.trim() || active) {
        return;
      }
      input.value = '';
      send(text);
    });
    $('input').addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        $('composer').requestSubmit();
      }
    });
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && active) {
        stop();
      }
    });
    $('stop').addEventListener('click', stop);
    $('answer-now').addEventListener('click', answerNow);
    $('thinking').value = REASONING_EFFORT[settings.thinking] ? settings.thinking : 'unlimited';
    $('thinking').addEventListener('change', () => {
      settings.thinking = $('thinking').value;
      save(KEYS.settings, settings);
    });
    $('model').addEventListener('change', () => {
      settings.model = $('model').value; // new conversations start with it
      save(KEYS.settings, settings);
      const conversation = currentConversation();
      if (conversation) {
        conversation.model = settings.model;
        persist();
      }
      setStatus('ready', 'Ready · ' + settings.model);
    });
    $('new-chat').addEventListener('click', startNewChat);
    $('open-settings').addEventListener('click', openSettings);
    $('temperature').addEventListener('input', () => {
      $('temperature-value').textContent = Number($('temperature').value).toFixed(2);
    });
    $('settings').addEventListener('close', () => {
      if ($('settings').returnValue === 'save') {
        saveSettings();
      }
    });
    $('toggle-sidebar').addEventListener('click', () => {
      const open = $('sidebar').classList.toggle('open');
      $('toggle-sidebar').setAttribute('aria-expanded', String(open));
    });
    // a generation that was cut off by a reload cannot continue: say so instead of leaving it empty
    for (const conversation of conversations) {
      for (const m of conversation.messages) {
        if (m.role === 'assistant' && !m.content && !m.reasoning && !m.error && !m.stopped && !m.stats) {
          m.stopped = true;
        }
      }
    }
    renderAll();
    checkHealth();
    $('input').focus();
  };

  start();
})();
